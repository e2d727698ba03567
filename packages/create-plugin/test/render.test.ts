import { describe, expect, it } from 'vitest';
import { eventTypePrefix, resourceName, unscopedName } from '../src/names.js';
import { render } from '../src/render.js';

describe('render', () => {
  it('fills placeholders, keeping quotes, and a list as its quoted items', () => {
    const values = { name: 'my-plugin', capabilities: ['observe.events', 'propose.dynamicConfig'] };
    expect(render("name: '{{name}}', title: {{name}}", values)).toBe("name: 'my-plugin', title: my-plugin");
    expect(render("capabilities: ['{{capabilities}}']", values)).toBe(
      "capabilities: ['observe.events', 'propose.dynamicConfig']",
    );
    expect(render('capabilities: ["{{capabilities}}"]', values)).toBe(
      'capabilities: ["observe.events", "propose.dynamicConfig"]',
    );
  });

  it('refuses a placeholder without a value, and a list outside quotes', () => {
    expect(() => render('{{nmae}}', { name: 'x' })).toThrow('template placeholder {{nmae}} has no value');
    expect(() => render('{{list}}', { list: ['a'] })).toThrow(/is a list: write it quoted/);
  });
});

describe('names', () => {
  it('derive a bin name, a resource name and an event type prefix from any valid package name', () => {
    expect(unscopedName('@acme/load-watch')).toBe('load-watch');
    expect(resourceName('@acme/Load_Watch.v2~x')).toBe('load-watch-v2-x');
    expect(resourceName('-._')).toBe('plugin');
    expect(resourceName(`a${'b'.repeat(80)}`)).toHaveLength(63);
    expect(eventTypePrefix('3d-printer')).toBe('p-3d-printer');
    expect(eventTypePrefix('@acme/load-watch')).toBe('load-watch');
  });
});
