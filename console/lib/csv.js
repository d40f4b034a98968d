/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

/**
 * Invitation rows from a CSV with a header row, the columns the CLI reads: email (required),
 * role, message, resource_id, actions (separated by `;`), locale. Each row keeps its line.
 */
export function invitationRows(text) {
  const [header = [], ...lines] = parseCsv(text.replace(/^\uFEFF/, ''));
  const names = header.map((h) => h.trim().toLowerCase());
  return lines.map((cells, index) => {
    const get = (name) => {
      const at = names.indexOf(name);
      return at === -1 ? undefined : cells[at]?.trim() || undefined;
    };
    const actions = get('actions')
      ?.split(';')
      .map((a) => a.trim())
      .filter(Boolean);
    const row = {
      email: get('email') ?? '',
      role: get('role'),
      message: get('message'),
      resource_id: get('resource_id'),
      actions: actions?.length ? actions : undefined,
      locale: get('locale'),
    };
    return { line: index + 2, row, problem: row.email ? null : 'email' };
  });
}
