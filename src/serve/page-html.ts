const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d7dce5; --control-line: #7d8696; --accent: #2457c5; --ok: #1f7a3a; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f5f7fa; }
header { padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 6px; font-size: 18px; }
#about summary { padding: 12px 0; line-height: 20px; font-size: 14px; cursor: pointer; width: fit-content; }
#purpose, #instructions { margin: 0 0 6px; font-size: 14px; max-width: 60em; }
#instructions kbd { margin: 0 2px; }
#progress-text { font-size: 14px; color: var(--muted); }
.bar { height: 10px; background: #e6e9ef; border-radius: 5px; overflow: hidden; margin-top: 4px; }
#progress-fill { height: 100%; width: 0; background: var(--accent); transition: width .2s; }
@media (prefers-reduced-motion: reduce) { #progress-fill { transition: none; } }
/* Contrast themes replace every background with one colour: the bar keeps its fill and an outline. */
@media (forced-colors: active) { .bar { border: 1px solid CanvasText; } #progress-fill { forced-color-adjust: none; background: Highlight; } }
#stop { margin: 12px 20px 0; padding: 12px 16px; border-radius: 8px; background: #e3f4e8; border: 1px solid #9fd6ae; color: var(--ok); font-weight: 600; }
#stop:empty { display: none; }
#connection { margin: 12px 20px 0; padding: 12px 16px; border-radius: 8px; background: #fdecea; border: 1px solid #f1aeb5; color: var(--bad); font-weight: 600; }
#connection:empty { display: none; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 20px; padding: 16px 20px; }
@media (max-width: 820px) { main { grid-template-columns: 1fr; padding: 12px; } header { padding: 10px 12px; } }
/* A phone (or a short window): the purpose and the instructions took 300 of its 640 px, which put
   the item's buttons below the fold. They start folded there (the script reads --start-folded). */
@media (max-width: 480px), (max-height: 480px) { #about { --start-folded: 1; } header h1 { margin: 0; } }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px; min-width: 0; }
h2 { font-size: 15px; margin: 0 0 8px; color: var(--muted); font-weight: 600; }
#item-meta { font-size: 13px; color: var(--muted); margin-bottom: 6px; overflow-wrap: anywhere; }
#item-text { font-size: 18px; line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 50vh; overflow-y: auto; padding: 12px; background: #fafbfc; border: 1px solid var(--line); border-radius: 6px; min-height: 3em; }
#item-text .control { color: var(--bad); background: #fdecea; border-radius: 3px; padding: 0 2px; font-family: ui-monospace, monospace; font-size: 0.85em; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; border: 0; }
#buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; }
button { font: inherit; min-height: 44px; padding: 8px 14px; border-radius: 6px; border: 1px solid var(--control-line); background: #fff; cursor: pointer; max-width: 100%; overflow-wrap: anywhere; }
button.class { background: var(--accent); color: #fff; border-color: var(--accent); font-weight: 600; }
button:disabled { opacity: .5; cursor: default; }
kbd { font-family: ui-monospace, monospace; font-size: 12px; border: 1px solid currentColor; border-radius: 3px; padding: 0 4px; margin-right: 6px; opacity: .85; }
#message { min-height: 1.5em; margin-top: 10px; font-size: 14px; overflow-wrap: anywhere; }
#message.error { color: var(--bad); }
.estimate { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.interval { font-size: 14px; color: var(--muted); font-variant-numeric: tabular-nums; }
.note { font-size: 13px; color: var(--muted); font-style: italic; }
.note:empty { display: none; }
#waiting { margin: 0 0 12px; padding: 8px 12px; border-radius: 6px; background: #fff6e0; border: 1px solid #ecd28a; color: #6b4f00; font-size: 14px; }
#waiting:empty { display: none; }
.meaning { font-size: 13px; color: var(--muted); margin: 8px 0 0; }
dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; font-size: 14px; }
dt { color: var(--muted); }
dd { margin: 0; font-variant-numeric: tabular-nums; }
/* On a phone the terms' column left the values a few words wide: each value goes under its term. */
@media (max-width: 480px) { dl { grid-template-columns: 1fr; gap: 0; } dd { margin-bottom: 6px; } }
#plot { width: 100%; margin-top: 12px; }
#plot svg { max-width: 100%; height: auto; }
.stats { margin-top: 12px; }
/* After the rules it narrows: a phone's few pixels go to the item's text and its buttons. */
@media (max-width: 480px) { main { padding: 8px; gap: 12px; } section { padding: 12px; } }
`;

/**
 * The page shell: static markup only; everything dynamic is set by the bundled script with
 * textContent. `purpose` (`purposeText`: numbers and fixed words only) says what the answers are for.
 */
export function pageHtml(purpose: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>active-testing · labelling</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-done="false" data-seq="0">
<header>
  <h1>Label the proposed item</h1>
  <details id="about" open>
    <summary>What your answers are for, and the keys</summary>
    <p id="purpose">${purpose}</p>
    <p id="instructions">Read the text and choose the class that fits it: click its button or press the key shown on it.
  Press <kbd>s</kbd> to skip an item you cannot label, <kbd>u</kbd> to take back your last answer.
  Each answer is saved as soon as the page says so; you can close the page at any time.</p>
  </details>
  <div id="progress-text">Loading…</div>
  <div class="bar" id="progress-bar" role="progressbar" aria-label="progress toward the stopping rule" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div id="progress-fill"></div></div>
</header>
<div id="connection" role="alert"></div>
<div id="stop" role="status"></div>
<main>
  <section aria-label="item">
    <h2 class="visually-hidden">Item</h2>
    <div id="item-meta"></div>
    <div id="item-text" dir="auto"></div>
    <div id="item-announcement" class="visually-hidden" aria-live="polite"></div>
    <div id="buttons"></div>
    <div id="message" role="status"></div>
  </section>
  <section aria-label="estimate">
    <p id="waiting" role="status"></p>
    <h2>Accuracy</h2>
    <div class="estimate" id="accuracy-value"></div>
    <div class="interval" id="accuracy-interval"></div>
    <div class="note" id="accuracy-note"></div>
    <h2 style="margin-top:12px">Risk (<span id="loss-name"></span>)</h2>
    <div class="estimate" id="risk-value"></div>
    <div class="interval" id="risk-interval"></div>
    <div class="note" id="risk-note"></div>
    <div id="comparison" hidden>
      <h2 style="margin-top:12px">Comparison model: accuracy</h2>
      <div class="estimate" id="comparison-accuracy-value"></div>
      <div class="interval" id="comparison-accuracy-interval"></div>
      <div class="note" id="comparison-accuracy-note"></div>
      <h2 style="margin-top:12px">Comparison model: risk (<span id="comparison-loss-name"></span>)</h2>
      <div class="estimate" id="comparison-risk-value"></div>
      <div class="interval" id="comparison-risk-interval"></div>
      <div class="note" id="comparison-risk-note"></div>
    </div>
    <div id="difference" hidden>
      <h2 style="margin-top:12px">Difference in risk (target − comparison)</h2>
      <div class="estimate" id="difference-value"></div>
      <div class="interval" id="difference-interval"></div>
      <div class="note" id="difference-note"></div>
    </div>
    <p class="meaning" id="interval-meaning"></p>
    <div id="budget-intervals" hidden>
      <h2 style="margin-top:12px">At the label budget: the other intervals</h2>
      <dl id="budget-interval-list"></dl>
      <p class="meaning" id="budget-interval-meaning"></p>
    </div>
    <div id="plot" role="img" aria-label="estimated risk and its interval against labels"></div>
    <p class="meaning" id="plot-caption"></p>
    <dl class="stats">
      <dt>Labels in the estimate</dt><dd id="labels"></dd>
      <dt>Variance ÷ random labelling</dt><dd id="variance-ratio"></dd>
      <dt>Random labels for the same variance</dt><dd id="equivalent"></dd>
      <dt>Annotators</dt><dd id="annotators"></dd>
    </dl>
  </section>
</main>
<script src="/assets/app.js"></script>
</body>
</html>`;
}
