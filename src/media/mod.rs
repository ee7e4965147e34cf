//! Media input and output: portraits, driver videos (MP4/MOV H.264, GIF, frame folders) decoded
//! frame by frame, and MP4/GIF/PNG-sequence writers that never leave a half-written file.
