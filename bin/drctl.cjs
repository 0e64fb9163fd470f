#!/usr/bin/env node
'use strict';
// CommonJS, so that starting takes no ES module loader: see src/cli/launch.ts.
require('../dist/launch.cjs')
  .launch(process.argv)
  .catch((error) => {
    process.stderr.write(
      `drctl: cannot start: ${error instanceof Error ? error.message : String(error)}\n  reinstall drctl, or run npm run build in its folder\n`,
    );
    process.exitCode = 70;
  });
