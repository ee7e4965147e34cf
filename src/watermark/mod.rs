//! The invisible watermark carried by every exported frame, provenance metadata, and detection.
