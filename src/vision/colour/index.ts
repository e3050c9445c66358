/** Region-of-interest colour: foreground mask, dominant colours, colour profile (see colour-profile.ts). */
export { colourProfile, colourProfileOfPixels, colourProfileOfMasked, colourRegion, colourHistogram, colourSimilarity, describeColours, DEFAULT_COLOUR_PROFILE_OPTIONS, SIMILARITY_SIGMA } from './colour-profile';
export type { ColourProfile, ColourProfileOptions, ColourRegion, ColourShare } from './colour-profile';
export { catalogueSignatures, deriveSignatures, predictColour, signaturesFromFile, softHistogram, DEFAULT_SIGNATURE_OPTIONS, SIGNATURES_FORMAT } from './colour-signatures';
export type { ColourPrediction, ColourSignatures, SignatureOptions, SignaturesFile } from './colour-signatures';
export { dominantColours, kMeans, mergeClusters, DEFAULT_DOMINANT_COLOUR_OPTIONS } from './dominant-colours';
export type { ColourCluster, DominantColourOptions } from './dominant-colours';
export { foregroundMask, DEFAULT_FOREGROUND_MASK_OPTIONS } from './foreground-mask';
export type { BackgroundModel, ForegroundMask, ForegroundMaskOptions } from './foreground-mask';
export { estimateIllumination, DEFAULT_ILLUMINATION_OPTIONS } from './illumination';
export type { Illumination, IlluminationOptions } from './illumination';
export { deltaE2000, labPixels, labToRgb, rgbToLab } from './lab';
export type { Lab, Rgb } from './lab';
export { cataloguePalette, derivePalette, nearestPaletteColour, paletteFromFile, PALETTE_FORMAT } from './palette';
export type { ColourPalette, PaletteColour, PaletteFile, PaletteProduct } from './palette';
export { colourImage, decodeColourImage, WORKING_SIZE } from './pixels';
export type { ColourImage } from './pixels';
