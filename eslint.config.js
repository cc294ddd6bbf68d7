// Flat ESLint config: typescript-eslint's type-checked rules everywhere, Lit and web-component rules
// for the browser code. Zero warnings are allowed (`npm run lint` passes --max-warnings 0).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'dist-server/', 'node_modules/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Six programs: the page (tsconfig.json), the frame worker (src/worker/tsconfig.json), the inference
      // worker (src/device/tsconfig.json), the service worker (src/sw/tsconfig.json), the runtime-agnostic
      // shared code (src/shared/tsconfig.json) and everything that runs in Node (server/tsconfig.json).
      parserOptions: {
        project: [
          './tsconfig.json',
          './src/worker/tsconfig.json',
          './src/device/tsconfig.json',
          './src/sw/tsconfig.json',
          './src/shared/tsconfig.json',
          './server/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ...lit.configs['flat/recommended'],
  },
  {
    files: ['src/**/*.ts'],
    ...wc.configs['flat/recommended'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['server/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', '*.ts', '*.js'],
    languageOptions: { globals: globals.node },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
