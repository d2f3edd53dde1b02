// Progressive enhancement: every <textarea data-code-editor> becomes a CodeMirror 6 JavaScript editor
// whose text is copied back into the textarea, so the form posts the same field with or without JavaScript.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { javascript } from "@codemirror/lang-javascript";
import { keymap, Decoration } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";

// The editing surface speaks for the hidden textarea: its name, and its description (the keys that leave the editor, an
// error). tabindex: a read-only editor is not contenteditable, so not focusable by itself, and a keyboard could not reach
// it to scroll a long line; an editable one is focusable already, and says so to checkers that look for tabindex.
function contentAttributes(textarea) {
  const attributes = { "aria-label": textarea.getAttribute("aria-label") || "Source Script" };
  const describedBy = textarea.getAttribute("aria-describedby");
  if (describedBy) attributes["aria-describedby"] = describedBy;
  if (textarea.getAttribute("aria-invalid") === "true") attributes["aria-invalid"] = "true";
  attributes.tabindex = "0";
  return attributes;
}

function enhance(textarea) {
  if (textarea.dataset.codeEditorReady) return;
  textarea.dataset.codeEditorReady = "true";
  // The line of a syntax error reported on save is marked, so the eye lands on it.
  const line = Number(textarea.dataset.errorLine || 0);
  const doc = textarea.value;
  const lines = doc.split("\n");
  const errorMark = [];
  if (line > 0 && line <= lines.length) {
    const from = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    errorMark.push(EditorView.decorations.of(Decoration.set([Decoration.line({ class: "cm-error-line" }).range(from)])));
  }
  // A textarea in a disabled fieldset (the read-only scenario page of a Viewer) gives an editor that shows, selects and
  // copies but does not change.
  const readOnly = textarea.matches(":disabled") ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [];
  const view = new EditorView({
    doc,
    extensions: [
      ...errorMark,
      ...readOnly,
      basicSetup,
      javascript(),
      keymap.of([indentWithTab]),
      EditorView.contentAttributes.of(contentAttributes(textarea)),
      EditorView.updateListener.of(u => { if (u.docChanged) textarea.value = u.state.doc.toString(); }),
    ],
  });
  textarea.style.display = "none";
  textarea.after(view.dom);
  view.dom.classList.add("code-editor");
  if (line > 0 && line <= view.state.doc.lines) {
    const pos = view.state.doc.line(line).from + Math.max(0, Number(textarea.dataset.errorColumn || 1) - 1);
    view.dispatch({ selection: { anchor: Math.min(pos, view.state.doc.length) }, scrollIntoView: true });
  }
}

function enhanceAll() { document.querySelectorAll("textarea[data-code-editor]").forEach(enhance); }
window.hubCodeEditor = { enhanceAll };
enhanceAll();
document.addEventListener("DOMContentLoaded", enhanceAll);
