// drc: ink 6.5.1's build/wrap-text.js with a bounded cache (installed by
// scripts/patch-ink.mjs). Upstream keeps every wrapped text in an object forever; this
// keeps what was used since the one-but-last turnover, at most 2 × LIMIT texts.
import wrapAnsi from 'wrap-ansi';
import cliTruncate from 'cli-truncate';
const LIMIT = 4096;
let cache = new Map();
let old = new Map();
const wrapText = (text, maxWidth, wrapType) => {
    const cacheKey = text + String(maxWidth) + String(wrapType);
    let wrappedText = cache.get(cacheKey) ?? old.get(cacheKey);
    if (wrappedText === undefined) {
        wrappedText = text;
        if (wrapType === 'wrap') {
            wrappedText = wrapAnsi(text, maxWidth, {
                trim: false,
                hard: true,
            });
        }
        if (wrapType.startsWith('truncate')) {
            let position = 'end';
            if (wrapType === 'truncate-middle') {
                position = 'middle';
            }
            if (wrapType === 'truncate-start') {
                position = 'start';
            }
            wrappedText = cliTruncate(text, maxWidth, { position });
        }
    }
    if (!cache.has(cacheKey)) {
        if (cache.size >= LIMIT) {
            old = cache;
            cache = new Map();
        }
        cache.set(cacheKey, wrappedText);
    }
    return wrappedText;
};
export default wrapText;
