// ESLint flat config: typescript-eslint's recommended rules plus the type-aware rules that catch
// real bugs in async code (a promise nobody awaits, a promise where a callback's void is expected,
// an `await` on something that is not a promise).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'models/**',
      '.cache/**',
      'bench/results/**',
      'coverage/**',
      // Hidden folders hold tool output and scratch copies of builds (e.g. apps/*/.bench-*), not source.
      '**/.*/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it; root-level config files
        // (vitest.config.ts) belong to no package and get the shared compiler options.
        projectService: {
          allowDefaultProject: ['*.ts'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
