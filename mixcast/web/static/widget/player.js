/* The player widget: an <audio> element, the waveform on a <canvas>, the tracklist, listen
 * reports, and the iframe's side of the widget API (wire-format.md §11.3).
 *
 * Messages to and from the host page are JSON strings. The widget takes commands from whatever
 * page embeds it (event.source must be its parent), and answers only to the origin that parent
 * first spoke from, never to "*": only the "ready" announcement, which carries nothing, goes to
 * any origin, because the widget cannot know its parent's origin before the parent speaks.
 */
(function () {
  "use strict";

  var METHODS = ["load", "play", "pause", "togglePlay", "seek", "getPosition", "getDuration",
    "getIsPaused", "getCurrentKey", "getVolume", "setVolume", "setOption"];
  var EVENTS = ["progress", "buffering", "play", "pause", "ended", "error"];
  var OPTIONS = ["hide_cover", "hide_tracklist", "mini", "hide_artwork", "light"];
  var LISTEN_AFTER = 30;              // seconds heard before a listen counts (server rule too)
  var LISTEN_AGAIN_MS = 3600 * 1000;  // the server counts one listen per listener per hour
  var LISTENER_KEY = "mixcast.listener";
  var BAR = 3;                        // waveform bar pitch in CSS pixels (2 drawn, 1 gap)

  var state = JSON.parse(document.getElementById("widget-state").textContent);
  var show = state.show;
  var audio = document.getElementById("audio");
  var canvas = document.getElementById("waveform");
  var body = document.body;
  var $ = function (id) { return document.getElementById(id); };

  var parentOrigin = null;  // set by the parent's first message
  var embedded = window.parent !== window;
  var peaks = null;         // Float32Array of [min, max] pairs scaled to -1..1, or null (flat)
  var heard = 0;            // media seconds actually played in this play of this show
  var lastTime = null;      // currentTime at the last timeupdate, null after a seek
  var lastReport = null;    // Date.now() of the last listen report
  var listener = null;

  // ------------------------------------------------------------------ messages to the host

  function post(type, data) {
    if (!embedded || !parentOrigin) return;
    var message = {mixcloud: "playerWidget", type: type};
    if (data !== undefined) message.data = data;
    window.parent.postMessage(JSON.stringify(message), parentOrigin);
  }

  function emit(eventName, args) {
    post("event", {eventName: eventName, args: args || []});
  }

  // ------------------------------------------------------------------ playback

  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : show.duration;
  }

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(total / 3600), m = Math.floor(total / 60) % 60, s = total % 60;
    var ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }

  function play() {
    var started = audio.play();
    if (started && started.catch) {
      started.catch(function (error) {
        // Autoplay refused, or no playable source: say so, as the media error event would.
        if (error && error.name !== "AbortError") emit("error", [String(error.name)]);
      });
    }
  }

  function seek(seconds) {
    var to = Number(seconds);
    if (typeof seconds === "boolean" || !isFinite(to) || to < 0 || to > duration()) return false;
    audio.currentTime = to;
    lastTime = null;
    draw();
    return true;
  }

  function setOption(name, value) {
    if (OPTIONS.indexOf(name) < 0) return false;
    var on = value === true || value === 1 || value === "1" || value === "true";
    body.classList.toggle(name.replace(/_/g, "-"), on);
    resize();
    return true;
  }

  // ------------------------------------------------------------------ waveform

  function loadPeaks() {
    peaks = null;
    var wanted = show.key;
    draw();
    fetch(show.peaks, {credentials: "same-origin"}).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (json) {
      if (json && show.key === wanted) {
        peaks = scalePeaks(json);
        draw();
      }
    }).catch(function () { /* no waveform: the flat line stays */ });
  }

  /* audiowaveform JSON: data = [min0, max0, min1, max1, ...] per channel, `bits` 8 or 16.
   * Only the first channel is drawn (mixcast writes a mono mixdown). Scaled so the loudest
   * peak fills the height, as players draw quiet recordings, but near-silence stays flat. */
  function scalePeaks(json) {
    var data = json.data, channels = json.channels || 1;
    if (!data || !data.length) return null;
    var stride = 2 * channels, pairs = Math.floor(data.length / stride), loudest = 0;
    for (var k = 0; k < pairs * stride; k += stride) {
      loudest = Math.max(loudest, Math.abs(data[k]), Math.abs(data[k + 1]));
    }
    var full = json.bits === 16 ? 32768 : 128, scale = Math.max(loudest, full / 20);
    var out = new Float32Array(pairs * 2);
    for (var i = 0; i < pairs; i++) {
      out[2 * i] = data[i * stride] / scale;
      out[2 * i + 1] = data[i * stride + 1] / scale;
    }
    return out;
  }

  function resize() {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.round(canvas.clientWidth * ratio), height = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    draw();
  }

  function draw() {
    var ctx = canvas.getContext("2d"), ratio = window.devicePixelRatio || 1;
    var width = canvas.width, height = canvas.height, middle = height / 2;
    var styles = getComputedStyle(body);
    var played = styles.getPropertyValue("--accent").trim() || "#ff5a1f";
    var rest = styles.getPropertyValue("--wave").trim() || "#888";
    var total = duration(), split = total ? width * Math.min(1, audio.currentTime / total) : 0;
    ctx.clearRect(0, 0, width, height);
    if (!width || !height) return;
    if (!peaks) {  // no waveform (yet, or ever): a flat line with the progress over it
      var line = Math.max(2, Math.round(2 * ratio));
      ctx.fillStyle = rest;
      ctx.fillRect(0, middle - line / 2, width, line);
      ctx.fillStyle = played;
      ctx.fillRect(0, middle - line / 2, split, line);
      return;
    }
    var pitch = BAR * ratio, bar = Math.max(1, pitch - ratio), count = Math.floor(width / pitch);
    var pairs = peaks.length / 2;
    for (var i = 0; i < count; i++) {
      // Each bar covers its share of the pairs: the lowest min and highest max in it.
      var from = Math.floor(i * pairs / count), to = Math.max(from + 1, Math.floor((i + 1) * pairs / count));
      var low = 0, high = 0;
      for (var j = from; j < to && j < pairs; j++) {
        if (peaks[2 * j] < low) low = peaks[2 * j];
        if (peaks[2 * j + 1] > high) high = peaks[2 * j + 1];
      }
      var top = middle - high * middle, bottom = middle - low * middle;
      if (bottom - top < ratio) { top = middle - ratio / 2; bottom = middle + ratio / 2; }
      var x = i * pitch;
      ctx.fillStyle = x + bar / 2 < split ? played : rest;
      ctx.fillRect(x, top, bar, bottom - top);
    }
  }

  function renderPosition() {
    var now = audio.currentTime;
    $("position").textContent = clock(now);
    $("duration").textContent = clock(duration());
    canvas.setAttribute("aria-valuenow", String(Math.floor(now)));
    canvas.setAttribute("aria-valuemax", String(Math.floor(duration())));
    var items = $("tracklist").children, current = -1;
    for (var i = 0; i < items.length; i++) {
      var start = items[i].getAttribute("data-start");
      if (start !== "" && Number(start) <= now) current = i;
    }
    for (var k = 0; k < items.length; k++) items[k].classList.toggle("current", k === current);
    draw();
  }

  var animating = false;
  function animate() {
    if (audio.paused) { animating = false; return; }
    renderPosition();
    window.requestAnimationFrame(animate);
  }

  // ------------------------------------------------------------------ listens

  function listenerId() {
    try {
      var kept = window.localStorage.getItem(LISTENER_KEY);
      if (kept && /^[A-Za-z0-9_-]{22}$/.test(kept)) return kept;
    } catch (e) { /* storage blocked in this frame: an id for this page only */ }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var id = btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    try { window.localStorage.setItem(LISTENER_KEY, id); } catch (e) { /* as above */ }
    return id;
  }

  /* Counts media seconds heard: the growth of currentTime between timeupdates while playing.
   * A seek resets the reference, so jumping ahead is not "heard"; playbackRate speeds it up. */
  function countHeard() {
    var now = audio.currentTime;
    if (lastTime !== null && !audio.seeking) {
      var delta = now - lastTime;
      if (delta > 0 && delta < 4 * Math.max(1, audio.playbackRate)) heard += delta;
    }
    lastTime = now;
    if (heard >= LISTEN_AFTER && (lastReport === null || Date.now() - lastReport >= LISTEN_AGAIN_MS)) {
      lastReport = Date.now();
      listener = listener || listenerId();
      fetch(show.listens, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({listener: listener, seconds: Math.round(heard * 10) / 10}),
      }).catch(function () { /* offline: this listen is lost, playback goes on */ });
    }
  }

  // ------------------------------------------------------------------ loading another show

  function renderShow() {
    $("title").textContent = show.name;
    $("title").href = show.url;
    $("owner").textContent = show.owner.name;
    $("owner").href = show.owner.url;
    $("artwork").src = show.picture;
    $("cover").src = show.cover;
    document.title = show.name + " by " + show.owner.name;
    var list = $("tracklist");
    while (list.firstChild) list.removeChild(list.firstChild);
    show.sections.forEach(function (section) {
      var item = document.createElement("li"), at = document.createElement("span");
      var what = document.createElement("span");
      item.setAttribute("data-start", section.start === null ? "" : String(section.start));
      at.className = "at";
      at.textContent = section.at;
      what.className = "what";
      what.textContent = section.title;
      item.appendChild(at);
      item.appendChild(what);
      list.appendChild(item);
    });
  }

  /* load(key, startPlaying): resolves true once the new show's audio has its duration, false
   * when the show cannot be loaded (unknown, or not visible). */
  function load(key, startPlaying) {
    return fetch(state.show_json + "?feed=" + encodeURIComponent(String(key)), {
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("no such show");
      return response.json();
    }).then(function (data) {
      audio.pause();
      show = data;
      heard = 0;
      lastTime = null;
      lastReport = null;
      renderShow();
      loadPeaks();
      return new Promise(function (resolve) {
        var done = function (ok) {
          audio.removeEventListener("loadedmetadata", loaded);
          audio.removeEventListener("error", failed);
          renderPosition();
          resolve(ok);
        };
        var loaded = function () { done(true); }, failed = function () { done(false); };
        audio.addEventListener("loadedmetadata", loaded);
        audio.addEventListener("error", failed);
        audio.src = show.stream;
        audio.load();
        if (startPlaying) play();
      });
    }).catch(function () {
      emit("error", ["load"]);
      return false;
    });
  }

  // ------------------------------------------------------------------ the API methods

  var api = {
    load: load,
    play: function () { play(); },
    pause: function () { audio.pause(); },
    togglePlay: function () { if (audio.paused) play(); else audio.pause(); },
    seek: seek,
    getPosition: function () { return audio.currentTime; },
    getDuration: duration,
    getIsPaused: function () { return audio.paused; },
    getCurrentKey: function () { return show.key; },
    getVolume: function () { return audio.volume; },
    setVolume: function (volume) {
      var v = Number(volume);
      if (volume === null || typeof volume === "boolean" || !isFinite(v)) return false;
      audio.volume = Math.min(1, Math.max(0, v));
      return true;
    },
    setOption: setOption,
  };

  function answer(methodId, value) {
    post("methodResponse", {methodId: methodId, value: value});
  }

  window.addEventListener("message", function (event) {
    if (!embedded || event.source !== window.parent || typeof event.data !== "string") return;
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (!message || typeof message !== "object") return;
    // An opaque origin ("null": a sandboxed or file: page) cannot be addressed; such a parent
    // gets no answers rather than answers sent to "*".
    if (parentOrigin === null && event.origin && event.origin !== "null") parentOrigin = event.origin;
    if (message.type === "getApi") {
      post("api", {methods: METHODS, events: EVENTS});
    } else if (message.type === "method" && message.data && typeof message.data === "object") {
      var call = message.data, method = api[call.methodName];
      if (!Object.prototype.hasOwnProperty.call(api, call.methodName)) {
        answer(call.methodId, null);
        return;
      }
      var result;
      try {
        result = method.apply(null, Array.isArray(call.args) ? call.args : []);
      } catch (e) {
        result = null;
      }
      Promise.resolve(result).then(function (value) {
        answer(call.methodId, value === undefined ? null : value);
      });
    }
  });

  // ------------------------------------------------------------------ wiring

  audio.addEventListener("play", function () {
    body.classList.add("playing");
    $("play").setAttribute("aria-label", "Pause");
    $("play").title = "Pause";
    lastTime = audio.currentTime;
    if (!animating) { animating = true; window.requestAnimationFrame(animate); }
    emit("play");
  });
  audio.addEventListener("pause", function () {
    body.classList.remove("playing", "buffering");
    $("play").setAttribute("aria-label", "Play");
    $("play").title = "Play";
    lastTime = null;
    renderPosition();
    emit("pause");
  });
  audio.addEventListener("waiting", function () {
    body.classList.add("buffering");
    emit("buffering");
  });
  audio.addEventListener("playing", function () { body.classList.remove("buffering"); });
  audio.addEventListener("seeking", function () { lastTime = null; });
  audio.addEventListener("seeked", function () { lastTime = audio.currentTime; renderPosition(); });
  audio.addEventListener("timeupdate", function () {
    if (audio.paused) return;
    countHeard();
    emit("progress", [audio.currentTime, duration()]);
  });
  audio.addEventListener("ended", function () {
    body.classList.remove("playing", "buffering");
    renderPosition();
    emit("ended");
  });
  audio.addEventListener("error", function () {
    body.classList.remove("playing", "buffering");
    emit("error", [audio.error ? audio.error.code : 0]);
  });
  audio.addEventListener("loadedmetadata", renderPosition);

  $("play").addEventListener("click", api.togglePlay);
  canvas.addEventListener("click", function (event) {
    var box = canvas.getBoundingClientRect();
    if (box.width > 0) seek(duration() * Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)));
  });
  canvas.addEventListener("keydown", function (event) {
    var step = {ArrowLeft: -10, ArrowRight: 10}[event.key];
    if (step) {
      event.preventDefault();
      seek(Math.min(duration(), Math.max(0, audio.currentTime + step)));
    }
  });
  $("tracklist").addEventListener("click", function (event) {
    var item = event.target.closest("li");
    var start = item && item.getAttribute("data-start");
    if (start) { seek(Number(start)); if (audio.paused) play(); }
  });
  window.addEventListener("resize", resize);

  if (state.options.color) body.style.setProperty("--accent", "#" + state.options.color);
  resize();
  loadPeaks();
  renderPosition();
  if (state.options.autoplay) play();
  // Announce the widget; the parent answers with getApi, from its own origin.
  if (embedded) window.parent.postMessage(JSON.stringify({mixcloud: "playerWidget", type: "ready"}), "*");
})();
