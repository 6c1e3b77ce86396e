import { Prisma } from "../generated/prisma/client.ts";

/** Whether a Prisma error is a unique-constraint violation (P2002): the same result written twice. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
