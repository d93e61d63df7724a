/** The seqlearn version. */
export const version = "0.1.0";

/** Where the guides live (error messages link to them). @internal */
export const GUIDE_URL = "https://github.com/seqlearn/seqlearn/blob/main/docs/guide/";
