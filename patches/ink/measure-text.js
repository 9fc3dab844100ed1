// drc: ink 6.5.1's build/measure-text.js with a bounded cache (installed by
// scripts/patch-ink.mjs). Upstream keeps every text it ever measured: with live numbers
// and clocks on screen that is a leak of tens of MB an hour. This one keeps what was
// used since the one-but-last turnover, at most 2 × LIMIT texts.
import widestLine from 'widest-line';
const LIMIT = 4096;
let cache = new Map();
let old = new Map();
const measureText = (text) => {
    if (text.length === 0) {
        return {
            width: 0,
            height: 0,
        };
    }
    let dimensions = cache.get(text) ?? old.get(text);
    if (dimensions === undefined) {
        const width = widestLine(text);
        const height = text.split('\n').length;
        dimensions = { width, height };
    }
    if (!cache.has(text)) {
        if (cache.size >= LIMIT) {
            old = cache;
            cache = new Map();
        }
        cache.set(text, dimensions);
    }
    return dimensions;
};
export default measureText;
