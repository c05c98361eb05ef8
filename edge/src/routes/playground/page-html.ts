/**
 * The playground document. Every user-visible string that comes from the API is written by the
 * script with textContent, never as HTML, so a prompt cannot inject markup.
 */
export function pageHtml(style: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LDM Playground</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<header>
  <h1>LDM Playground</h1>
  <p><span id="credits" aria-live="polite">Enter an API key to see your credits.</span>
     · <a href="/docs">API reference</a></p>
</header>
<main>
  <form id="form" novalidate>
    <div class="field">
      <label for="api-key">API key <span class="hint">(kept in this browser only)</span></label>
      <div class="key-row">
        <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="ldm_test_…" required>
        <button type="button" id="forget-key">Forget</button>
      </div>
    </div>
    <div class="field">
      <label for="prompt">Prompt <span class="hint">(Ctrl+Enter to generate)</span></label>
      <textarea id="prompt" name="prompt" rows="3" maxlength="2000" required>a red circle on a blue background</textarea>
    </div>
    <div class="field">
      <label for="negative">Negative prompt</label>
      <textarea id="negative" name="negative" rows="2" maxlength="2000"></textarea>
    </div>
    <fieldset>
      <legend>Parameters</legend>
      <div class="field"><label for="model">Model</label><select id="model" name="model"></select></div>
      <div class="field"><label for="scheduler">Scheduler</label><select id="scheduler" name="scheduler"></select></div>
      <div class="field"><label for="width">Width</label><input id="width" name="width" type="number" min="64" max="2048" step="8" inputmode="numeric"></div>
      <div class="field"><label for="height">Height</label><input id="height" name="height" type="number" min="64" max="2048" step="8" inputmode="numeric"></div>
      <div class="field"><label for="steps">Steps</label><input id="steps" name="steps" type="number" min="1" max="150" step="1" inputmode="numeric"></div>
      <div class="field"><label for="guidance">Guidance</label><input id="guidance" name="guidance" type="number" min="0" max="30" step="0.5" inputmode="decimal"></div>
      <div class="field"><label for="seed">Seed</label><input id="seed" name="seed" type="number" min="0" max="4294967295" step="1" inputmode="numeric" placeholder="random"></div>
      <div class="field"><label for="num-outputs">Images</label><select id="num-outputs" name="num-outputs"><option>1</option><option>2</option><option>3</option><option>4</option></select></div>
      <div class="field check"><label for="upscale"><input id="upscale" name="upscale" type="checkbox"> Upscale x4 <span class="hint">(same job)</span></label></div>
    </fieldset>
    <div class="actions">
      <button type="submit" class="primary" id="submit">Generate</button>
      <button type="button" id="cancel" hidden>Cancel</button>
    </div>
  </form>
  <div class="results">
    <section id="result" aria-labelledby="result-title">
      <h2 id="result-title">Result</h2>
      <progress id="progress" max="1" value="0" aria-labelledby="status"></progress>
      <p id="status" role="status" aria-live="polite">Ready.</p>
      <p id="error" role="alert"></p>
      <p id="job-meta" class="meta"></p>
      <div id="images"></div>
    </section>
    <section id="recent" aria-labelledby="recent-title">
      <h2 id="recent-title">Recent generations</h2>
      <ol id="recent-list"></ol>
      <p id="recent-empty" class="meta">None yet.</p>
    </section>
  </div>
</main>
<script>${script}</script>
</body>
</html>
`;
}
