// Builds the console's elements. Every text, whatever its source, goes in as a text node (never
// as markup), so a stored name such as "<script>…" is shown, not run.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false)
      continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setProps(element, props) {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false)
      continue;
    if (name === 'class')
      element.setAttribute('class', value);
    else if (name.startsWith('on') && typeof value === 'function')
      element.addEventListener(name.slice(2), value);
    else if (name === 'dataset')
      Object.assign(element.dataset, value);
    else if (name === 'checked' || name === 'value' || name === 'selected' || name === 'disabled')
      element[name] = value;
    else
      element.setAttribute(name, value === true ? '' : String(value));
  }
}

// h('a', {href: '#/fleet', class: 'x'}, 'text', child, …)
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  setProps(element, props);
  append(element, children);
  return element;
}

export function svg(tag, props, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setProps(element, props);
  append(element, children);
  return element;
}

// Replaces what @element holds by @children.
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A link inside the console: #/page/part?query (each part and value URI-encoded).
export function route(parts, query) {
  const path = '#/' + parts.map(encodeURIComponent).join('/');
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== '' && value !== null && value !== undefined)
      search.set(name, value);
  const text = search.toString();
  return text ? path + '?' + text : path;
}
