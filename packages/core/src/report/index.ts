export * from "./table.ts";
export * from "./front-plot.ts";
