import { shapes } from "@scaleout/services";
import { deriveShape } from "../derive-shape.ts";
import { int, str } from "../shapes.ts";

/* Wire shapes and messages CloudWatch's alarm and metric operations share (botocore monitoring 2010-08-01). */

export const Dimension = deriveShape(shapes.Dimension);
export const page = { nextToken: str, maxRecords: int };

export const noMetricMath = "Metric math is not supported by scaleout: query single metrics with MetricStat";
export const noPercentiles = "Extended statistics (percentiles) are not supported by scaleout";
