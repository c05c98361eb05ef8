/**
 * The playground's script, sent inline. Plain ES2020 with no template literals (it lives inside
 * one). Progress comes from the generation's event stream read with fetch, because EventSource
 * cannot send the Authorization header; polling takes over if the stream is unavailable.
 */
export const PAGE_SCRIPT = `
'use strict';
(function () {
  var KEY_STORE = 'ldm.apiKey';
  var TERMINAL = { succeeded: true, failed: true, canceled: true };
  var $ = function (id) { return document.getElementById(id); };
  var form = $('form'), keyInput = $('api-key'), submitButton = $('submit'), cancelButton = $('cancel');
  var progressBar = $('progress'), statusText = $('status'), errorText = $('error'), jobMeta = $('job-meta');
  var images = $('images'), recentList = $('recent-list'), recentEmpty = $('recent-empty'), credits = $('credits');
  var models = [];
  var upscaler = null; // the catalog's first model serving task upscale
  // The shipped demo model draws 64 px images: they are shown upscaled x4 unless unticked.
  var UPSCALE_BY_DEFAULT = { 'demo-shapes': true };
  var current = null; // { id } of the job being followed

  function apiKey() { return keyInput.value.trim(); }

  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ authorization: 'Bearer ' + apiKey(), accept: 'application/json' }, options.headers || {});
    if (options.body) headers['content-type'] = 'application/json';
    return fetch(path, { method: options.method || 'GET', headers: headers, body: options.body })
      .then(function (res) {
        if (options.raw) return res;
        return res.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!res.ok) throw apiError(res.status, body, text);
          return body;
        });
      });
  }

  // One readable line from the API's error body, naming the field and the limit when it has them.
  function apiError(status, body, text) {
    var e = body && body.error;
    if (!e) return new Error('HTTP ' + status + ': ' + (text || '').slice(0, 200));
    var what = e.details && e.details.length
      ? e.details.map(function (d) { return d.field + ' ' + d.message + (d.limit === undefined || (typeof d.limit === 'string' && d.message.indexOf(d.limit) >= 0) ? '' : ' (limit ' + d.limit + ')'); }).join('; ')
      : e.message;
    var err = new Error(e.code + ': ' + what);
    err.code = e.code;
    return err;
  }

  function showError(message) { errorText.textContent = message || ''; }

  function formatUnits(n) { return Number(n).toLocaleString(undefined, { maximumFractionDigits: 2 }); }

  function setProgress(status, step, total) {
    var fraction = status === 'succeeded' ? 1 : total > 0 ? Math.min(1, step / total) : 0;
    progressBar.value = fraction;
    progressBar.setAttribute('data-step', String(step));
    progressBar.setAttribute('aria-valuetext', total > 0 ? 'step ' + step + ' of ' + total : status);
    var text = status === 'queued' ? 'Queued, waiting for a worker…'
      : status === 'running' ? (total > 0 ? 'Running: step ' + step + ' of ' + total + ' (' + Math.round(fraction * 100) + '%)' : 'Running…')
      : status === 'succeeded' ? 'Done.'
      : status === 'failed' ? 'Failed.'
      : status === 'canceled' ? 'Canceled.' : status;
    statusText.textContent = text;
  }

  function refreshAccount() {
    if (!apiKey()) { credits.textContent = 'Enter an API key to see your credits.'; return; }
    api('/v1/account').then(function (a) {
      credits.textContent = 'Credits: ' + formatUnits(a.credits) + ' units' + (a.reserved ? ' (' + formatUnits(a.reserved) + ' reserved)' : '');
    }, function (e) { credits.textContent = 'Account: ' + e.message; });
  }

  function fillModels(list) {
    upscaler = list.filter(function (m) { return m.tasks.indexOf('upscale') >= 0; })[0] || null;
    // The form generates from a prompt: upscalers are reached through "Upscale x4" instead.
    models = list.filter(function (m) { return m.tasks.indexOf('txt2img') >= 0; });
    var modelSelect = $('model');
    modelSelect.textContent = '';
    models.forEach(function (m) {
      var option = document.createElement('option');
      option.value = m.name; option.textContent = m.name;
      modelSelect.appendChild(option);
    });
    applyModelDefaults();
  }

  function applyModelDefaults() {
    var m = models.filter(function (x) { return x.name === $('model').value; })[0];
    if (!m) return;
    var schedulerSelect = $('scheduler');
    schedulerSelect.textContent = '';
    m.schedulers.forEach(function (s) {
      var option = document.createElement('option');
      option.value = s; option.textContent = s; option.selected = s === m.default_scheduler;
      schedulerSelect.appendChild(option);
    });
    $('width').value = m.native_width; $('height').value = m.native_height;
    $('width').min = $('height').min = m.min_size; $('width').max = $('height').max = m.max_size;
    $('steps').value = m.default_steps; $('steps').max = m.max_steps;
    $('guidance').value = m.default_guidance_scale;
    $('upscale').disabled = !upscaler;
    $('upscale').checked = !!upscaler && !!UPSCALE_BY_DEFAULT[m.name];
  }

  function numberField(id) { var v = $(id).value.trim(); return v === '' ? undefined : Number(v); }

  function requestBody() {
    var body = {
      prompt: $('prompt').value,
      negative_prompt: $('negative').value,
      model: $('model').value || undefined,
      scheduler: $('scheduler').value || undefined,
      width: numberField('width'), height: numberField('height'),
      steps: numberField('steps'), guidance_scale: numberField('guidance'),
      seed: numberField('seed'), num_outputs: numberField('num-outputs'),
      upscale: $('upscale').checked && upscaler ? 4 : undefined
    };
    Object.keys(body).forEach(function (k) { if (body[k] === undefined || body[k] === '') delete body[k]; });
    return body;
  }

  // A minimal event-stream reader (HTML standard 9.2.6): events end at a blank line.
  function readEvents(res, onEvent) {
    var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = '', name = '', data = [];
    function line(text) {
      if (text === '') {
        if (data.length) onEvent(name || 'message', data.join('\\n'));
        name = ''; data = []; return;
      }
      if (text[0] === ':') return;
      var colon = text.indexOf(':');
      var field = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value; else if (field === 'data') data.push(value);
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) return;
        buffer += decoder.decode(r.value, { stream: true });
        // A CR at the very end may be half of a CRLF split across chunks: wait for the next one.
        var lines = buffer.split(/\\r\\n|\\r(?!$)|\\n/);
        buffer = lines.pop();
        lines.forEach(line);
        return pump();
      });
    }
    return pump();
  }

  // Follows the job until it ends; resolves with the final generation (with its outputs).
  function follow(job) {
    var finished = false;
    function onEvent(name, data) {
      var value; try { value = JSON.parse(data); } catch (e) { return; }
      if (name === 'progress') setProgress('running', value.step, value.total);
      else if (name === 'status') {
        if (!TERMINAL[value.status]) setProgress(value.status, 0, 0);
        else finished = true;
      }
    }
    function poll(delay) {
      return new Promise(function (r) { setTimeout(r, delay); }).then(function () {
        return api('/v1/generations/' + encodeURIComponent(job.id));
      }).then(function (g) {
        if (TERMINAL[g.status]) return g;
        setProgress(g.status, g.progress ? g.progress.step : 0, g.progress ? g.progress.total : 0);
        return poll(Math.min(2000, delay * 1.5));
      });
    }
    return api('/v1/generations/' + encodeURIComponent(job.id) + '/events', { raw: true, headers: { accept: 'text/event-stream' } })
      .then(function (res) {
        if (!res.ok || (res.headers.get('content-type') || '').indexOf('text/event-stream') !== 0) throw new Error('no event stream');
        return readEvents(res, onEvent);
      })
      .catch(function () { /* no stream: polling below takes over */ })
      .then(function () {
        return api('/v1/generations/' + encodeURIComponent(job.id));
      })
      .then(function (g) { return finished || TERMINAL[g.status] ? g : poll(300); });
  }

  function showGeneration(g) {
    images.textContent = '';
    images.className = g.outputs.length === 1 ? 'single' : '';
    setProgress(g.status, g.progress ? g.progress.step : 0, g.progress ? g.progress.total : 0);
    showError(g.error ? g.error.code + ': ' + g.error.message : '');
    var seconds = g.metrics && g.metrics.inference_ms != null ? ' · inference ' + (g.metrics.inference_ms / 1000).toFixed(2) + ' s' : '';
    jobMeta.textContent = g.id + ' · ' + g.input.width + '×' + g.input.height + ', ' + g.input.steps + ' steps ' + g.input.scheduler +
      ' · cost ' + formatUnits(g.usage.units) + ' units' + (g.cached ? ' (cached)' : '') + seconds;
    jobMeta.setAttribute('data-units', String(g.usage.units));
    g.outputs.forEach(function (o, i) {
      var figure = document.createElement('figure');
      var img = document.createElement('img');
      img.alt = 'Image ' + (i + 1) + ' of ' + g.outputs.length + ': ' + g.input.prompt;
      img.width = o.width; img.height = o.height;
      img.addEventListener('load', function () { if (img.naturalWidth < 256) img.classList.add('small'); });
      img.src = o.url;
      var caption = document.createElement('figcaption');
      var info = document.createElement('span');
      info.textContent = o.width + '×' + o.height + ' · seed ' + o.seed;
      var link = document.createElement('a');
      link.href = o.url;
      link.download = g.id + '-' + (i + 1) + '.' + (o.content_type.split('/')[1] || 'png').replace('jpeg', 'jpg');
      link.textContent = 'Download';
      link.setAttribute('aria-label', 'Download image ' + (i + 1));
      caption.appendChild(info); caption.appendChild(link);
      if (upscaler && o.width * 4 <= upscaler.max_size && o.height * 4 <= upscaler.max_size) {
        var more = document.createElement('button');
        more.type = 'button'; more.className = 'upscale';
        more.textContent = 'Upscale x4';
        more.setAttribute('aria-label', 'Upscale x4 image ' + (i + 1));
        more.addEventListener('click', function () { upscaleOutput(g, o); });
        caption.appendChild(more);
      }
      figure.appendChild(img); figure.appendChild(caption);
      images.appendChild(figure);
    });
  }

  function refreshRecent() {
    if (!apiKey()) return;
    api('/v1/generations?limit=10').then(function (page) {
      recentList.textContent = '';
      recentEmpty.hidden = page.data.length > 0;
      page.data.forEach(function (g) {
        var item = document.createElement('li');
        var button = document.createElement('button');
        button.type = 'button';
        var badge = document.createElement('span');
        badge.className = 'badge ' + g.status; badge.textContent = g.status;
        var prompt = document.createElement('span');
        prompt.className = 'prompt'; prompt.textContent = g.input.prompt || '(no prompt)';
        var when = document.createElement('span');
        when.className = 'when'; when.textContent = new Date(g.created_at).toLocaleTimeString();
        button.appendChild(badge); button.appendChild(prompt); button.appendChild(when);
        button.setAttribute('aria-label', 'Show ' + g.status + ' generation: ' + (g.input.prompt || g.id));
        button.addEventListener('click', function () {
          api('/v1/generations/' + encodeURIComponent(g.id)).then(showGeneration, function (e) { showError(e.message); });
        });
        item.appendChild(button);
        recentList.appendChild(item);
      });
    }, function (e) { showError(e.message); });
  }

  function setBusy(busy) {
    submitButton.disabled = busy;
    cancelButton.hidden = !busy;
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  // An output as a data URL: the input of an upscale request.
  function imageDataUrl(url) {
    return fetch(url).then(function (res) {
      if (!res.ok) throw new Error('could not read the image (HTTP ' + res.status + ')');
      return res.blob();
    }).then(function (blob) {
      return new Promise(function (resolve, reject) {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.onerror = function () { reject(new Error('could not read the image')); };
        reader.readAsDataURL(blob);
      });
    });
  }

  function upscaleOutput(g, o) {
    if (current) return;
    imageDataUrl(o.url).then(function (image) {
      run({ task: 'upscale', model: upscaler.name, image: image, prompt: g.input.prompt, seed: o.seed });
    }, function (e) { showError(e.message); });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (current) return;
    run(requestBody());
  });

  function run(body) {
    if (current) return;
    if (!apiKey()) { showError('Enter your API key first.'); keyInput.focus(); return; }
    localStorage.setItem(KEY_STORE, apiKey());
    showError(''); images.textContent = ''; jobMeta.textContent = '';
    setProgress('queued', 0, 0);
    statusText.textContent = 'Submitting…';
    setBusy(true);
    // On a phone the form fills the screen: bring the progress (and any error) into view.
    $('result').scrollIntoView({ block: 'nearest' });
    api('/v1/generations', { method: 'POST', body: JSON.stringify(body) })
      .then(function (job) {
        current = { id: job.id };
        refreshRecent();
        return TERMINAL[job.status] ? job : follow(job);
      })
      .then(function (g) {
        showGeneration(g);
        refreshAccount(); refreshRecent();
      }, function (e) {
        showError(e.message);
        statusText.textContent = current ? 'Lost track of the job; see Recent generations.' : 'Not started.';
        if (!current) progressBar.value = 0;
      })
      .then(function () { current = null; setBusy(false); });
  }

  cancelButton.addEventListener('click', function () {
    if (!current) return;
    // Queued work ends at once, running work at the worker's next step; either way the event
    // stream brings the final status, so the page keeps following instead of guessing.
    cancelButton.disabled = true;
    statusText.textContent = 'Canceling…';
    api('/v1/generations/' + encodeURIComponent(current.id) + '/cancel', { method: 'POST' })
      .catch(function (e) { showError(e.message); })
      .then(function () { cancelButton.disabled = false; });
  });

  $('prompt').addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  $('model').addEventListener('change', applyModelDefaults);
  $('forget-key').addEventListener('click', function () {
    localStorage.removeItem(KEY_STORE); keyInput.value = ''; keyInput.focus();
    credits.textContent = 'Enter an API key to see your credits.';
    recentList.textContent = ''; recentEmpty.hidden = false;
  });
  keyInput.addEventListener('change', function () {
    if (apiKey()) localStorage.setItem(KEY_STORE, apiKey());
    refreshAccount(); refreshRecent();
  });

  // npm start's URL carries the local key in the fragment (#key=...): browsers never send it to
  // the server; it is stored like a typed key, then taken out of the address bar and history.
  var fragmentKey = /^#key=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (fragmentKey) {
    if (document.body.hasAttribute('data-key-from-fragment')) localStorage.setItem(KEY_STORE, fragmentKey[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  keyInput.value = localStorage.getItem(KEY_STORE) || '';
  fetch('/v1/models').then(function (r) { return r.json(); }).then(function (body) { fillModels(body.data || []); },
    function () { showError('Could not load the model list.'); });
  refreshAccount(); refreshRecent();
})();
`;
