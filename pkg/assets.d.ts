// esbuild bundles CSS imported for its side effects (pkg/build.mjs).
declare module "*.css";
