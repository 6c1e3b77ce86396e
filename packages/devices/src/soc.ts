/** A system on chip, as the lab names it. */
export interface SocInfo {
  /** Lower-case code, safe in a device-class name (e.g. "sm8250"). */
  readonly code: string;
  /** Marketing name (e.g. "Snapdragon 865"). */
  readonly name: string;
}

// ro.soc.model (Android 12+) or ro.board.platform (code names on older Qualcomm builds) -> SoC.
const KNOWN: ReadonlyArray<{ readonly keys: readonly string[]; readonly soc: SocInfo }> = [
  { keys: ["sm8250", "kona"], soc: { code: "sm8250", name: "Snapdragon 865" } },
  { keys: ["sm8250-ac"], soc: { code: "sm8250", name: "Snapdragon 870" } },
  { keys: ["sm8150", "msmnile"], soc: { code: "sm8150", name: "Snapdragon 855" } },
  { keys: ["sdm845"], soc: { code: "sdm845", name: "Snapdragon 845" } },
  { keys: ["sm8350", "lahaina"], soc: { code: "sm8350", name: "Snapdragon 888" } },
  { keys: ["sm8450", "taro"], soc: { code: "sm8450", name: "Snapdragon 8 Gen 1" } },
  { keys: ["sm8550", "kalama"], soc: { code: "sm8550", name: "Snapdragon 8 Gen 2" } },
  { keys: ["sm8650", "pineapple"], soc: { code: "sm8650", name: "Snapdragon 8 Gen 3" } },
  { keys: ["sm7250", "lito"], soc: { code: "sm7250", name: "Snapdragon 765G" } },
  { keys: ["sm6150"], soc: { code: "sm6150", name: "Snapdragon 675" } },
  { keys: ["gs101"], soc: { code: "gs101", name: "Google Tensor" } },
  { keys: ["gs201"], soc: { code: "gs201", name: "Google Tensor G2" } },
  { keys: ["exynos990"], soc: { code: "exynos990", name: "Exynos 990" } },
  { keys: ["mt6893"], soc: { code: "mt6893", name: "Dimensity 1200" } },
  { keys: ["host-cpu"], soc: { code: "host-cpu", name: "host CPU (emulated phone)" } },
];

/** Identifies the SoC from ro.soc.model, then ro.board.platform; unknown chips keep their own (slugged) name. */
export function identifySoc(socModel: string | undefined, boardPlatform: string | undefined): SocInfo | null {
  for (const raw of [socModel, boardPlatform]) {
    const key = raw?.trim().toLowerCase();
    if (!key) continue;
    const known = KNOWN.find((k) => k.keys.includes(key));
    if (known) return known.soc;
  }
  const fallback = (socModel?.trim() || boardPlatform?.trim()) ?? "";
  const code = fallback
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return code ? { code, name: fallback } : null;
}
