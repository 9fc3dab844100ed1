// drc: ink 6.5.1's build/output.js, rewritten for speed (installed by scripts/patch-ink.mjs;
// the upstream file stays next to it as output.upstream.js, and test/unit/ink-patch.test.ts
// checks that both build the same frames, byte for byte).
//
// Upstream tokenizes every line of every frame with a grapheme segmenter, makes an object
// per character, measures each character with string-width and diffs the styles of every
// pair of neighbours: 11–15 ms for a full 120×40 frame. Here:
// - a line's cells are cached by its text (the cache forgets what recent frames did not use);
// - a line of ASCII, narrow symbols and SGR colour codes is read without the segmenter;
//   anything else (other escapes, control characters, combining marks, emoji) takes the
//   upstream path;
// - cells and style lists are interned, so equal styles are the same object and a row whose
//   cells are the very same objects as last frame's reuses last frame's string;
// - the escape codes between two styles are computed once per pair of styles.
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';
import widestLine from 'widest-line';
import { ansiCodesToString, diffAnsiCodes, reduceAnsiCodesIncremental, styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';

/** A map that keeps what was used since the one-but-last turnover (at most 2×limit entries). */
class RecentMap {
    constructor(limit) {
        this.limit = limit;
        this.cur = new Map();
        this.old = new Map();
    }
    get(key) {
        let v = this.cur.get(key);
        if (v !== undefined) return v;
        v = this.old.get(key);
        if (v !== undefined) this.set(key, v);
        return v;
    }
    set(key, value) {
        if (this.cur.size >= this.limit) {
            this.old = this.cur;
            this.cur = new Map();
        }
        this.cur.set(key, value);
    }
}

// ---- interned styles and cells ------------------------------------------------------------
const NO_STYLES = Object.freeze([]);
/** style key → the one frozen array of codes for it */
const stylesByKey = new RecentMap(2048);
function internStyles(codes) {
    if (codes.length === 0) return NO_STYLES;
    let key = '';
    for (const c of codes) key += `${c.code}\u0000${c.endCode}\u0001`;
    let s = stylesByKey.get(key);
    if (s === undefined) {
        s = Object.freeze(codes.slice());
        stylesByKey.set(key, s);
    }
    return s;
}
/** styles → (SGR sequence → styles after it) */
const afterSgr = new WeakMap();
/** SGR sequence → its tokens, or null when it is not a plain SGR sequence */
const sgrTokens = new RecentMap(1024);
function applySgr(styles, seq) {
    let bySeq = afterSgr.get(styles);
    if (bySeq === undefined) {
        bySeq = new Map();
        afterSgr.set(styles, bySeq);
    }
    let next = bySeq.get(seq);
    if (next !== undefined) return next;
    let tokens = sgrTokens.get(seq);
    if (tokens === undefined) {
        tokens = tokenize(seq);
        if (tokens.some((t) => t.type !== 'ansi')) tokens = null;
        sgrTokens.set(seq, tokens);
    }
    if (tokens === null) return null;
    let codes = styles;
    for (const t of tokens) codes = reduceAnsiCodesIncremental(codes, [t]);
    next = internStyles(codes);
    if (bySeq.size < 256) bySeq.set(seq, next);
    return next;
}
/** styles → (character → cell) */
const cellsByStyles = new WeakMap();
function cellOf(value, fullWidth, styles) {
    let byChar = cellsByStyles.get(styles);
    if (byChar === undefined) {
        byChar = new Map();
        cellsByStyles.set(styles, byChar);
    }
    let cell = byChar.get(value);
    if (cell === undefined) {
        cell = Object.freeze({ type: 'char', value, fullWidth, styles });
        if (byChar.size < 4096) byChar.set(value, cell);
    }
    return cell;
}
/** what follows a wide character in its row */
function fillerOf(styles) {
    return cellOf('', false, styles);
}
const BLANK = cellOf(' ', false, NO_STYLES);

// ---- a line's cells -------------------------------------------------------------------------
/**
 * Non-ASCII code points that are one grapheme each, whatever surrounds them (no combining
 * marks, joiners, variation selectors or surrogates): Latin-1 to spacing modifiers,
 * general punctuation without the invisible ones, and symbols up to Misc Symbols and
 * Arrows (box drawing, blocks, braille, shapes). test/unit/ink-patch.test.ts checks every
 * one of them against the segmenter.
 */
export function isPlainBmp(c) {
    return (c >= 0xa0 && c <= 0x2ff && c !== 0xad) || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205e) || (c >= 0x2070 && c <= 0x20cf) || (c >= 0x2100 && c <= 0x2bff);
}
/** character → [columns, fullWidth] as upstream measures it */
const charInfo = new Map();
function infoOf(ch) {
    let info = charInfo.get(ch);
    if (info === undefined) {
        const t = tokenize(ch)[0];
        info = [Math.max(1, stringWidth(ch)), t ? t.fullWidth : false];
        charInfo.set(ch, info);
    }
    return info;
}
function pushCell(cells, value, fullWidth, columns, styles) {
    const cell = cellOf(value, fullWidth, styles);
    cells.push(cell);
    for (let i = 1; i < columns; i++) cells.push(fillerOf(styles));
}
/** The fast reading, or null when the line needs the upstream one. */
function fastCells(line) {
    const cells = [];
    let styles = NO_STYLES;
    const n = line.length;
    for (let i = 0; i < n; ) {
        const c = line.charCodeAt(i);
        if (c === 0x1b) {
            if (line.charCodeAt(i + 1) !== 0x5b) return null;
            let j = i + 2;
            for (; j < n; j++) {
                const d = line.charCodeAt(j);
                if (!((d >= 0x30 && d <= 0x39) || d === 0x3b)) break;
            }
            if (line.charCodeAt(j) !== 0x6d) return null;
            styles = applySgr(styles, line.slice(i, j + 1));
            if (styles === null) return null;
            i = j + 1;
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            cells.push(cellOf(line[i], false, styles));
            i++;
            continue;
        }
        if (!isPlainBmp(c)) return null;
        const ch = line[i];
        const [columns, fullWidth] = infoOf(ch);
        pushCell(cells, ch, fullWidth, columns, styles);
        i++;
    }
    return cells;
}
/** Upstream's reading, its cells interned. */
function slowCells(line) {
    const cells = [];
    for (const character of styledCharsFromTokens(tokenize(line))) {
        const styles = internStyles(character.styles);
        pushCell(cells, character.value, character.fullWidth, Math.max(1, stringWidth(character.value)), styles);
    }
    return cells;
}
const lineCells = new RecentMap(4096);
function cellsOfLine(line) {
    let cells = lineCells.get(line);
    if (cells === undefined) {
        cells = fastCells(line) ?? slowCells(line);
        lineCells.set(line, cells);
    }
    return cells;
}

// ---- a row's string -----------------------------------------------------------------------
/** from styles → (to styles → the escape codes between them) */
const transitions = new WeakMap();
function transition(from, to) {
    let byTo = transitions.get(from);
    if (byTo === undefined) {
        byTo = new Map();
        transitions.set(from, byTo);
    }
    let s = byTo.get(to);
    if (s === undefined) {
        s = ansiCodesToString(diffAnsiCodes(from, to));
        if (byTo.size < 256) byTo.set(to, s);
    }
    return s;
}
const openers = new WeakMap();
function opener(styles) {
    let s = openers.get(styles);
    if (s === undefined) {
        s = ansiCodesToString(styles);
        openers.set(styles, s);
    }
    return s;
}
/** upstream's styledCharsToString(row).trimEnd() */
function rowString(row) {
    let chars = row;
    for (let i = 0; i < row.length; i++) {
        if (row[i] === undefined) {
            chars = row.filter((item) => item !== undefined);
            break;
        }
    }
    if (chars.length === 0) return '';
    let ret = opener(chars[0].styles);
    let prev = chars[0];
    ret += prev.value;
    for (let i = 1; i < chars.length; i++) {
        const char = chars[i];
        if (char.styles !== prev.styles) ret += transition(prev.styles, char.styles);
        ret += char.value;
        prev = char;
    }
    ret += transition(prev.styles, NO_STYLES);
    return ret.trimEnd();
}
function sameCells(a, b) {
    if (a === undefined || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
}
/** the last frame's rows and their strings, to reuse for rows that did not change */
let lastRows = [];
let lastStrings = [];

export default class Output {
    width;
    height;
    operations = [];
    constructor(options) {
        const { width, height } = options;
        this.width = width;
        this.height = height;
    }
    write(x, y, text, options) {
        const { transformers } = options;
        if (!text) {
            return;
        }
        this.operations.push({
            type: 'write',
            x,
            y,
            text,
            transformers,
        });
    }
    clip(clip) {
        this.operations.push({
            type: 'clip',
            clip,
        });
    }
    unclip() {
        this.operations.push({
            type: 'unclip',
        });
    }
    get() {
        const output = [];
        for (let y = 0; y < this.height; y++) {
            output.push(new Array(this.width).fill(BLANK));
        }
        const clips = [];
        for (const operation of this.operations) {
            if (operation.type === 'clip') {
                clips.push(operation.clip);
            }
            if (operation.type === 'unclip') {
                clips.pop();
            }
            if (operation.type === 'write') {
                const { text, transformers } = operation;
                let { x, y } = operation;
                let lines = text.split('\n');
                const clip = clips.at(-1);
                if (clip) {
                    const clipHorizontally = typeof clip?.x1 === 'number' && typeof clip?.x2 === 'number';
                    const clipVertically = typeof clip?.y1 === 'number' && typeof clip?.y2 === 'number';
                    if (clipHorizontally) {
                        const width = widestLine(text);
                        if (x + width < clip.x1 || x > clip.x2) {
                            continue;
                        }
                    }
                    if (clipVertically) {
                        const height = lines.length;
                        if (y + height < clip.y1 || y > clip.y2) {
                            continue;
                        }
                    }
                    if (clipHorizontally) {
                        lines = lines.map(line => {
                            const from = x < clip.x1 ? clip.x1 - x : 0;
                            const width = stringWidth(line);
                            const to = x + width > clip.x2 ? clip.x2 - x : width;
                            return sliceAnsi(line, from, to);
                        });
                        if (x < clip.x1) {
                            x = clip.x1;
                        }
                    }
                    if (clipVertically) {
                        const from = y < clip.y1 ? clip.y1 - y : 0;
                        const height = lines.length;
                        const to = y + height > clip.y2 ? clip.y2 - y : height;
                        lines = lines.slice(from, to);
                        if (y < clip.y1) {
                            y = clip.y1;
                        }
                    }
                }
                let offsetY = 0;
                for (let [index, line] of lines.entries()) {
                    const currentLine = output[y + offsetY];
                    if (!currentLine) {
                        continue;
                    }
                    for (const transformer of transformers) {
                        line = transformer(line, index);
                    }
                    const cells = cellsOfLine(line);
                    for (let k = 0; k < cells.length; k++) {
                        currentLine[x + k] = cells[k];
                    }
                    offsetY++;
                }
            }
        }
        const strings = [];
        for (let y = 0; y < output.length; y++) {
            const row = output[y];
            strings.push(sameCells(lastRows[y], row) ? lastStrings[y] : rowString(row));
        }
        lastRows = output;
        lastStrings = strings;
        return {
            output: strings.join('\n'),
            height: output.length,
        };
    }
}
