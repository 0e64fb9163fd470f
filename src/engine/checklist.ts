/**
 * The Markdown checklist of a manual step's text: each `- [ ] item` line (also `*` or `+`), with
 * the lines indented under it that continue it, joined into one line. Lines inside a fenced code
 * block are not items. A text without such lines has no checklist.
 */
export function checklistItems(text: string): string[] {
  const items: string[] = [];
  let fence: string | undefined;
  let current: { indent: number; parts: string[] } | undefined;
  const close = (): void => {
    if (current) items.push(current.parts.join(' '));
    current = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker !== undefined) {
      close();
      fence = marker;
      continue;
    }
    const item = /^(\s*)[-*+] \[ \]\s+(\S.*)$/.exec(line);
    if (item) {
      close();
      current = { indent: item[1]!.length, parts: [item[2]!.trim()] };
      continue;
    }
    const indent = /^\s*/.exec(line)![0].length;
    if (current && line.trim() !== '' && indent > current.indent) current.parts.push(line.trim());
    else close();
  }
  close();
  return items;
}
