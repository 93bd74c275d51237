// Lint: typed rules everywhere, plus the sandbox boundary: code that may run inside the Temporal workflow
// sandbox (and the pure core it imports) must not reach Node built-ins or I/O libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const ioLibraries = [
  'ioredis',
  'nodemailer',
  'smtp-server',
  'smpp',
  'handlebars',
  'fastify',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'commander',
  'cli-progress',
];
const sandboxed = (extra = [], adapters = ['**/infra/**', '**/api/**', '**/activities/**', '**/cli/**']) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [...nodeBuiltins, ...ioLibraries, ...extra].map((name) => ({
        name,
        message:
          'domain/, policy/, segments/, campaigns/ and workflows/ stay pure (workflows run in the Temporal sandbox, the rest is imported there): no Node built-ins or I/O libraries; do the I/O in infra/ or activities/ and pass the result in.',
      })),
      patterns: [
        {
          group: adapters,
          message:
            'domain/, policy/, segments/, campaigns/ and workflows/ must not import adapters (infra/, api/, cli/; activities/ only as types, from workflows): depend on a port in domain/ and let the composition root inject the adapter.',
        },
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'bin/**', 'eslint.config.js', 'scripts/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'Use an `as const` object and a type of the same name, not a TS enum.',
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts', 'policy/**/*.ts', 'segments/**/*.ts', 'campaigns/**/*.ts'],
    rules: sandboxed(['@temporalio/workflow']),
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      ...sandboxed([], ['**/infra/**', '**/api/**', '**/cli/**']),
      // Workflows see activities only as types and call them through proxyActivities.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'Import activities with `import type` and call them via proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters implement the ports activities declare (type imports); a value they share lives in domain/.
    files: ['infra/**/*.ts', 'api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message:
                'infra/ and api/ must not depend on activities/ (type imports of the ports they implement aside): move the shared piece to domain/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI composes domain and infra; what it shares with activities (dry-run simulation) lives in domain/.
    files: ['cli/**/*.ts', 'cli.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              message: 'The CLI must not import activities/; move the shared piece to domain/.',
            },
          ],
        },
      ],
    },
  },
);
