/**
 * Lets a child process run the TypeScript sources directly (`node -r ./test/helpers/register-ts.js
 * src/main.ts`): each .ts file is transpiled on require with the project's compiler options.
 * The tests that kill and restart the real service use it, so that `npm test` needs no build
 * first. Transpiling only is sound here: tsconfig.json sets isolatedModules, and the type check
 * is the build's and ts-jest's job.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
const compilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: true, declaration: false, noEmit: false };

require.extensions['.ts'] = function compile(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
