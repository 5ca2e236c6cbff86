/** Options shared by the evaluation metrics. */
export interface MetricOptions {
  /**
   * Score the GT-mean-aligned output instead (output × mean_gray(GT) / mean_gray(output), clipped): the "GT-mean"
   * numbers low-light papers report next to the plain ones. Default false.
   */
  gtMean?: boolean;
  /** Clip out-of-range inputs to [0, 1] instead of throwing a RangeError. Default false. */
  clip?: boolean;
}

export interface PsnrMetricOptions extends MetricOptions {
  /** Peak value on the [0, 255] scale the images are converted to. Default 255. */
  dataRange?: number;
  /** Upper bound in dB. Identical images give +Infinity unless a cap is set (e.g. 100). Default: no cap. */
  maxDb?: number;
}
