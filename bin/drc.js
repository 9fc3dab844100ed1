#!/usr/bin/env node
// React's production build for the cockpit (the development build costs about half the CPU
// of every frame); it must be set before anything loads React. An explicit NODE_ENV wins.
process.env.NODE_ENV ??= 'production';
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
