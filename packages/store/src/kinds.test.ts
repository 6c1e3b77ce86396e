/** Core's lists of kinds against the enums Prisma stores them as: a value added on one side only fails here. */
import { ARTIFACT_KINDS, EXPORT_FORMATS, SEARCH_STATUSES } from "@mfnas/core";
import { describe, expect, it } from "vitest";
import { ArtifactKind, SearchStatus } from "./generated/prisma/enums.ts";

describe("core's kinds and the Prisma enums", () => {
  it("SearchStatus is core's SEARCH_STATUSES, in order", () => {
    expect(Object.values(SearchStatus)).toEqual([...SEARCH_STATUSES]);
  });

  it("ArtifactKind is core's ARTIFACT_KINDS, in order", () => {
    expect(Object.values(ArtifactKind)).toEqual([...ARTIFACT_KINDS]);
  });

  it("ArtifactKind holds every export format, so each exported model can be stored", () => {
    for (const format of EXPORT_FORMATS) expect(Object.values(ArtifactKind)).toContain(format);
  });
});
