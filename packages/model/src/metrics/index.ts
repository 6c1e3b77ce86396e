export { assertSameSize, cropPlane, psnr, psnrRgb, psnrY, rgbToY } from "./psnr.ts";
export type { MetricOptions, Plane, RgbArray } from "./psnr.ts";
export { ssim, ssimY } from "./ssim.ts";
export { batchSrMetrics, srMetrics } from "./sr-metrics.ts";
export type { SrMetricOptions, SrMetrics } from "./sr-metrics.ts";
