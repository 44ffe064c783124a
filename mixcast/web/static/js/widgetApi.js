/* The widget JavaScript API for host pages: Mixcloud.PlayerWidget(iframe), protocol-identical
 * to Mixcloud's widgetApi.js (wire-format.md §11.2-11.3) with this site's origin as its
 * constant (the server writes it in when it starts).
 *
 *   var widget = Mixcloud.PlayerWidget(document.getElementById("my-widget-iframe"));
 *   widget.ready.then(function (widget) { widget.play(); });
 *   widget.events.progress.on(function (position, duration) { ... });
 *
 * Messages are JSON strings. They go to the widget with the site's origin as targetOrigin and
 * are taken only from the site's origin (or this page's own), and only from the window of the
 * iframe they are for. The method list and the event list come from the widget itself.
 */
(function (root) {
  "use strict";

  var WIDGET_ORIGIN = "__WIDGET_ORIGIN__";
  var previous = root.Mixcloud;
  var nextMethodId = 1;  // one counter for every widget on the page
  var widgets = [];

  function report(error) {
    // A listener's exception must not stop the others, nor stay silent.
    setTimeout(function () { throw error; }, 0);
  }

  function Widget(iframe) {
    var self = this;
    this.iframe = iframe;
    this.pending = {};
    this.listeners = {};
    this.external = {events: {}};
    this.external.ready = new Promise(function (resolve) { self.resolveReady = resolve; });
    this.send({type: "getApi"});  // lost if the widget is not loaded yet: it says "ready" then
  }

  Widget.prototype.send = function (message) {
    var target = this.iframe.contentWindow;
    if (target) target.postMessage(JSON.stringify(message), WIDGET_ORIGIN);
  };

  Widget.prototype.call = function (methodName, args) {
    var self = this;
    return new Promise(function (resolve) {
      var methodId = nextMethodId++;
      self.pending[methodId] = resolve;
      self.send({type: "method", data: {methodId: methodId, methodName: methodName, args: args}});
    });
  };

  Widget.prototype.makeApi = function (api) {
    var self = this, external = this.external;
    (api.methods || []).forEach(function (name) {
      if (typeof name !== "string" || name === "ready" || name === "events" || name === "then") return;
      external[name] = function () {
        return self.call(name, Array.prototype.slice.call(arguments));
      };
    });
    (api.events || []).forEach(function (name) {
      if (typeof name !== "string" || self.listeners[name]) return;
      var listeners = self.listeners[name] = [];
      external.events[name] = {
        on: function (fn) { if (listeners.indexOf(fn) < 0) listeners.push(fn); },
        off: function (fn) {
          var at = listeners.indexOf(fn);
          if (at >= 0) listeners.splice(at, 1);
        },
      };
    });
    this.resolveReady(external);
  };

  Widget.prototype.receive = function (message) {
    var data = message.data || {};
    if (message.type === "ready") {
      this.send({type: "getApi"});
    } else if (message.type === "api") {
      this.makeApi(data);
    } else if (message.type === "event") {
      var listeners = this.listeners[data.eventName];
      if (!listeners) return;
      var external = this.external, args = Array.isArray(data.args) ? data.args : [];
      listeners.slice().forEach(function (fn) {
        try { fn.apply(external, args); } catch (error) { report(error); }
      });
    } else if (message.type === "methodResponse") {
      var resolve = this.pending[data.methodId];
      if (resolve) {
        delete this.pending[data.methodId];
        resolve(data.value);
      }
    }
  };

  root.addEventListener("message", function (event) {
    if (event.origin !== WIDGET_ORIGIN && event.origin !== root.location.origin) return;
    if (typeof event.data !== "string") return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || message.mixcloud !== "playerWidget") return;
    for (var i = 0; i < widgets.length; i++) {
      if (event.source && widgets[i].iframe.contentWindow === event.source) {
        widgets[i].receive(message);
      }
    }
  });

  var api = {
    PlayerWidget: function (iframe) {
      var widget = new Widget(iframe);
      widgets.push(widget);
      return widget.external;
    },
    // Gives window.Mixcloud back to what it was before this script, and the API to fn.
    noConflict: function (fn) {
      root.Mixcloud = previous;
      if (typeof fn === "function") fn(api);
      return api;
    },
  };
  root.Mixcloud = api;
})(window);
