// ESLint for the whole tree: the page (TypeScript + React hooks), and the tests and benchmarks (plain Node ESM).
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["dist/", "node_modules/", "target/", "test-results/", ".cache/"] },
    js.configs.recommended,
    {
        files: ["pkg/**/*.{ts,tsx}"],
        extends: [tseslint.configs.strictTypeChecked],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
            globals: { ...globals.browser, cockpit: "readonly" },
        },
        plugins: { "react-hooks": reactHooks },
        rules: {
            ...reactHooks.configs.recommended.rules,
            "react-hooks/rules-of-hooks": "error",
            "react-hooks/exhaustive-deps": "error",
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
            "@typescript-eslint/no-confusing-void-expression": "off",
            "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
            "no-console": ["error", { allow: ["warn", "error"] }],
            eqeqeq: "error",
        },
    },
    {
        files: ["pkg/**/*.d.ts"],
        rules: { "@typescript-eslint/no-unused-vars": "off" },
    },
    {
        files: ["pkg/build.mjs", "eslint.config.mjs"],
        languageOptions: { globals: { ...globals.node } },
    },
    {
        // Node scripts whose functions passed to page.evaluate()/waitForFunction() run in the browser.
        files: ["tests/**/*.mjs", "bench/**/*.mjs"],
        languageOptions: { globals: { ...globals.node, ...globals.browser } },
    },
);
