/**
 * `npm start`: `mailstack start --dev` (the embedded defaults, or --config FILE, with the
 * development switch: cleartext AUTH from loopback and the demo users alice@ and bob@).
 */
process.argv.splice(2, 0, 'start', '--dev');
await import('./cli/main.ts');
