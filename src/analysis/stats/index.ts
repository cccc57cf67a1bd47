export { LogHistogram, bucketIndex, bucketLow, bucketHigh, powerOfTwoEdges, type HistogramBin } from './histogram.js';
export { TimeSeries, IntervalPeak, type ChannelKind } from './timeseries.js';
export { QueueDepth } from './queue-depth.js';
export { SizeCounts } from './size-histogram.js';
