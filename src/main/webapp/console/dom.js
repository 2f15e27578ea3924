// Small DOM helpers: every value from the API goes in as text, never as markup.

export const $ = (id) => document.getElementById(id);

/** A new element with text content or children; attributes as given. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== undefined && child !== null) {
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return element;
}

export function number(value) {
  return Number(value || 0).toLocaleString('en-US');
}

/** "3h 04m", "12m 05s", "41s", or "expired". */
export function countdown(until, now = Date.now()) {
  let seconds = Math.floor((until - now) / 1000);
  if (seconds <= 0) {
    return 'expired';
  }
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  seconds %= 60;
  const two = (n) => String(n).padStart(2, '0');
  if (days > 0) {
    return `${days}d ${two(hours)}h`;
  }
  if (hours > 0) {
    return `${hours}h ${two(minutes)}m`;
  }
  return minutes > 0 ? `${minutes}m ${two(seconds)}s` : `${seconds}s`;
}

/** An RFC 3339 time as "2026-12-03 11:47 UTC". */
export function utc(text) {
  return text ? text.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '';
}

/** Gives each body cell its column's name, which the narrow layout shows in front of the value. */
export function labelCells(table) {
  const names = Array.from(table.tHead.rows[0].cells, (cell) => cell.textContent.trim());
  for (const row of table.tBodies[0].rows) {
    Array.from(row.cells).forEach((cell, i) => {
      if (names[i] && cell.colSpan === 1) {
        cell.dataset.label = names[i];
      }
    });
  }
}
