// The workbench's code editor (a Streamlit v2 component, no network, no build step).
// A <textarea> laid over a highlighted <pre> of the same text: monospace, line numbers, Tab and
// Shift+Tab indent and dedent, Enter keeps the indentation, the whole program visible (the
// editor grows with its text), the line of a reported error marked. The text goes back to Python
// on blur and on Ctrl+Enter, as a Streamlit text area does.
const INDENT = "    ";
const KEYWORDS = new Set(["def", "for", "in", "return", "if", "else", "and", "or", "not", "True", "False",
                          "None", "import", "from", "while", "lambda", "class", "with", "as", "try",
                          "except", "pass", "break", "continue", "global", "is", "del", "yield", "raise"]);
const BUILTINS = new Set(["abs", "min", "max"]);
const TOKEN = /(#[^\n]*)|("""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)|(\b\d+\b)|([A-Za-z_][A-Za-z0-9_]*)/g;

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function highlight(text) {
  let out = "", last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += escapeHtml(text.slice(last, m.index));
    const [word, comment, string, number, name] = m;
    let cls = null;
    if (comment) cls = "tok-comment";
    else if (string) cls = "tok-string";
    else if (number) cls = "tok-number";
    else if (name && KEYWORDS.has(name)) cls = "tok-keyword";
    else if (name && BUILTINS.has(name)) cls = "tok-builtin";
    out += cls ? `<span class="${cls}">${escapeHtml(word)}</span>` : escapeHtml(word);
    last = m.index + word.length;
  }
  return out + escapeHtml(text.slice(last));
}

function build(parent) {
  const root = document.createElement("div");
  root.className = "mips-editor";
  root.innerHTML = `
    <div class="label"></div>
    <div class="frame">
      <pre class="gutter" aria-hidden="true"></pre>
      <div class="scroller">
        <div class="layers">
          <pre class="highlight" aria-hidden="true"></pre>
          <textarea spellcheck="false" autocapitalize="off" autocomplete="off" autocorrect="off"
                    wrap="off"></textarea>
        </div>
      </div>
    </div>
    <div class="hint">Tab indents, Shift+Tab dedents, Ctrl+Enter applies; press Esc, then Tab, to leave the editor.</div>`;
  parent.appendChild(root);
  return root;
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let root = parentElement.querySelector(".mips-editor");
  const fresh = !root;
  if (fresh) root = build(parentElement);
  const label = root.querySelector(".label");
  const area = root.querySelector("textarea");
  const pre = root.querySelector(".highlight");
  const gutter = root.querySelector(".gutter");
  const minLines = data.min_lines || 8;
  // the listeners (added once) call the latest render/send through root.state
  const state = root.state || (root.state = {});
  state.errorLine = data.error_line || 0;

  label.textContent = data.label || "";
  if (data.font_size) root.style.setProperty("--code-size", data.font_size);
  else root.style.removeProperty("--code-size");
  area.setAttribute("aria-label", data.label || "code");
  area.disabled = !!data.disabled;

  state.render = () => {
    const text = area.value;
    const n = Math.max(text.split("\n").length, minLines);
    pre.innerHTML = highlight(text) + "\n";
    let numbers = "";
    for (let i = 1; i <= n; i++) {
      numbers += i === state.errorLine ? `<span class="error-line">${i}</span>\n` : `${i}\n`;
    }
    gutter.innerHTML = numbers;
    pre.style.minHeight = `calc(${n} * var(--line-height) + 2 * var(--pad))`;
  };

  state.send = () => {
    if (area.value !== root.dataset.sent) {
      root.dataset.sent = area.value;
      setStateValue("text", { text: area.value, at: Date.now() + Math.random() });
    }
  };

  // Python replaced the text (first mount, Reset, a new program): show it; otherwise keep what
  // the user is typing.
  if (fresh || root.dataset.revision !== String(data.revision)) {
    root.dataset.revision = String(data.revision);
    if (area.value !== data.text) area.value = data.text;
    root.dataset.sent = data.text;
  }
  state.render();

  if (fresh) {
    let trapTab = true;
    area.addEventListener("input", () => { state.errorLine = 0; state.render(); });
    area.addEventListener("blur", () => { trapTab = true; state.send(); });
    area.addEventListener("focus", () => { trapTab = true; });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { trapTab = false; return; }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); state.send(); return; }
      if (e.key === "Tab" && trapTab && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        indent(area, e.shiftKey);
        state.render();
        return;
      }
      if (e.key === "Enter" && !e.shiftKey && !e.altKey) {
        e.preventDefault();
        const start = area.selectionStart;
        const lineStart = area.value.lastIndexOf("\n", start - 1) + 1;
        const line = area.value.slice(lineStart, start);
        let pad = line.match(/^ */)[0];
        if (/:\s*$/.test(line)) pad += INDENT;
        insert(area, "\n" + pad);
        state.render();
      }
    });
  }
  return undefined;
}

function insert(area, text) {
  // execCommand keeps the browser's undo history; fall back to setRangeText
  area.focus();
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
  }
}

function indent(area, outdent) {
  const { value, selectionStart: start, selectionEnd: end } = area;
  const first = value.lastIndexOf("\n", start - 1) + 1;
  if (!outdent && start === end) {
    const column = start - first;
    insert(area, " ".repeat(INDENT.length - (column % INDENT.length)));
    return;
  }
  const lastEnd = end > start && value[end - 1] === "\n" ? end - 1 : end;
  const block = value.slice(first, lastEnd);
  const lines = block.split("\n");
  const changed = lines.map((l) => {
    if (!outdent) return INDENT + l;
    const n = l.match(/^ {0,4}/)[0].length;
    return l.slice(n);
  }).join("\n");
  area.setSelectionRange(first, lastEnd);
  insert(area, changed);
  area.setSelectionRange(first, first + changed.length);
}
