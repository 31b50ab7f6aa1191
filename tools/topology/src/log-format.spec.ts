import { describe, expect, it } from 'vitest';
import { stripAnsi } from './ansi.js';
import { levelName, parseLogRecord, renderLogLine } from './log-format.js';

const at = (h: number, m: number, s: number): string => new Date(2026, 10, 22, h, m, s).toISOString();

describe('renderLogLine', () => {
  it('renders a pino line as time, padded level, message and the remaining fields', () => {
    const line = JSON.stringify({
      level: 'info',
      time: at(12, 0, 1),
      service: 'gateway',
      pid: 42,
      msg: 'listening',
      port: 8080,
      model: 'iris-mlp',
      ready: true,
    });
    expect(renderLogLine(line, { colour: false })).toBe('12:00:01 INFO  listening port=8080 model=iris-mlp ready=true');
  });

  it('understands pino numeric levels and epoch-millisecond times', () => {
    const line = JSON.stringify({ level: 40, time: new Date(2026, 0, 1, 9, 5, 7).getTime(), msg: 'slow' });
    expect(renderLogLine(line, { colour: false })).toBe('09:05:07 WARN  slow');
  });

  it('quotes values with spaces and prints objects as JSON', () => {
    const line = JSON.stringify({ level: 'debug', time: at(1, 2, 3), msg: 'm', note: 'two words', shape: [1, 4], q: { a: 1 } });
    expect(renderLogLine(line, { colour: false })).toBe('01:02:03 DEBUG m note="two words" shape=[1,4] q={"a":1}');
  });

  it('shows an error as type and message, with its stack frames on the following lines', () => {
    const err = { type: 'MspError', message: 'no responders', stack: 'MspError: no responders\n    at a (x.js:1:1)\n    at b (y.js:2:2)' };
    const rendered = renderLogLine(JSON.stringify({ level: 'error', time: at(0, 0, 0), msg: 'request failed', err }), {
      colour: false,
    });
    expect(rendered.split('\n')).toEqual([
      '00:00:00 ERROR request failed err="MspError: no responders"',
      '    at a (x.js:1:1)',
      '    at b (y.js:2:2)',
    ]);
  });

  it('passes lines that are not JSON objects through unchanged', () => {
    for (const line of ['[1234] 2026/11/22 00:00:00.000000 [INF] Server is ready', '{not json}', '[1,2]', '']) {
      expect(renderLogLine(line, { colour: false })).toBe(line);
    }
  });

  it('colours the level when asked, and the text is the same without the escapes', () => {
    const line = JSON.stringify({ level: 'error', time: at(12, 0, 1), msg: 'boom' });
    const coloured = renderLogLine(line, { colour: true });
    expect(coloured).not.toBe(stripAnsi(coloured));
    expect(stripAnsi(coloured)).toBe(renderLogLine(line, { colour: false }));
  });
});

describe('parseLogRecord / levelName', () => {
  it('parses only JSON objects', () => {
    expect(parseLogRecord('{"msg":"x"}')).toEqual({ msg: 'x' });
    expect(parseLogRecord('"x"')).toBeUndefined();
    expect(parseLogRecord('{"truncated":')).toBeUndefined();
  });

  it('names levels whether written as labels or numbers', () => {
    expect(levelName({ level: 30 })).toBe('info');
    expect(levelName({ level: 'WARN' })).toBe('warn');
    expect(levelName({})).toBeUndefined();
  });
});
