import { enableCompileCache } from 'node:module';

// Node keeps each module's type-stripped, compiled code between starts, so a start skips
// stripping and compiling its ~900 modules: about half of a cold start (bench/RESULTS.md, change 11).
// The cache sits in NODE_COMPILE_CACHE, or the system's temporary directory; entries are keyed
// by file content and Node version, so an edited or upgraded file is compiled again, and a
// directory that cannot be written only costs the speed-up. NODE_DISABLE_COMPILE_CACHE=1 turns
// it off.
enableCompileCache();
await import('./program.ts');
