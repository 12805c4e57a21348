#!/usr/bin/env node
// nvad command-line entry: the compiled CLI lives in dist/ (npm run build).
import '../dist/cli/main.js';
