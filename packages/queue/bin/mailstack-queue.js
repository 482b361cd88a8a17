#!/usr/bin/env node
// The `mailstack-queue` command. '#cli' (package.json "imports") is src/cli.ts in this repository (the
// @mailstack/source condition, see the top README) and its build in dist/ everywhere else.
import '#cli';
