/** Escapes text for HTML content and attribute values. */
export const esc = (text: unknown) =>
  String(text).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string,
  );

/** The tiny Markdown the document's descriptions use: `code` only. */
export const inline = (text: unknown) => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
