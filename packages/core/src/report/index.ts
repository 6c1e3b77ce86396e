export * from "./table.ts";
export * from "./front-plot.ts";
export { SAMPLE_PANELS, type SamplePanel, type SampleSheetInfo } from "./sample-sheet.ts";
