const DELIMITERS = [',', ';', '\t'];

/** The header line's most frequent separator outside quotes: French Excel writes `;`, some tools tabs. */
export function detectDelimiter(text) {
  const counts = new Map(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char) + 1);
  }
  return [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

/**
 * RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF), read leniently: a quote inside an
 * unquoted field, or text after a closing quote, is kept as written and the row marked `loose`
 * rather than swallowing the following lines. Each row keeps the file line it starts on.
 */
export function parseCsv(text, delimiter = detectDelimiter(text)) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let loose = false;
  let line = 1;
  let start = 1;
  const endRow = () => {
    row.push(field);
    if (row.some((f) => f.trim() !== '')) rows.push({ cells: row, line: start, loose });
    row = [];
    field = '';
    loose = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) line++;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
        const next = text[i + 1];
        if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') loose = true;
      } else field += char;
    } else if (char === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (char === '"') {
      field += char;
      loose = true;
    } else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      }
      endRow();
      start = line;
    } else field += char;
  }
  if (quoted) loose = true;
  endRow();
  return rows;
}

/** The header row's column names, trimmed and in lower case. */
export function csvColumns(text) {
  const source = text.replace(/^\uFEFF/, '');
  const [header = { cells: [] }] = parseCsv(source, detectDelimiter(source));
  return header.cells.map((h) => h.trim().toLowerCase()).filter(Boolean);
}

/**
 * Invitation rows from a CSV with a header row, the columns the CLI reads: email (required),
 * role, message, resource_id, actions (separated by `;`, or `,` in a `;`-separated file),
 * locale. Each row keeps its file line, the one every table of the import shows.
 */
export function invitationRows(text) {
  const source = text.replace(/^\uFEFF/, '');
  const delimiter = detectDelimiter(source);
  const [header = { cells: [] }, ...lines] = parseCsv(source, delimiter);
  const names = header.cells.map((h) => h.trim().toLowerCase());
  return lines.map(({ cells, line, loose }) => {
    const get = (name) => {
      const at = names.indexOf(name);
      return at === -1 ? undefined : cells[at]?.trim() || undefined;
    };
    const actions = get('actions')
      ?.split(delimiter === ';' ? /[;,]/ : ';')
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
    return { line, row, loose };
  });
}
