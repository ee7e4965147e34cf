//! Provenance metadata: the XMP packet written into every export (MP4 `uuid` box, GIF
//! application extension, PNG `iTXt`) and read back by `animate verify`.
//!
//! The IPTC digital source type depends on the engine, because the two make frames differently:
//! - `tpsmm` synthesises every output pixel with a trained generator network from the portrait
//!   and the driver's motion: that is media created by a trained model,
//!   [`TRAINED_ALGORITHMIC_MEDIA`].
//! - `warp` keeps the portrait's own pixels and moves them along a displacement field that trained
//!   networks (face detector and face mesh) derived from another person's video: a composite of
//!   the original portrait with content made by trained algorithms,
//!   [`COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA`].
//!
//! Either way the frames show something that never happened, which is what the watermark says.

use super::Payload;

/// IPTC code: media created by a model trained on sampled content.
pub const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
/// IPTC code: a composite of other media with elements made by trained algorithms.
pub const COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";
/// The tool name written as the creator tool.
pub const TOOL_NAME: &str = "Sfumato";

const NS_IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const NS_XMP: &str = "http://ns.adobe.com/xap/1.0/";
const NS_SFUMATO: &str = "urn:sfumato:xmp:1.0/";

/// What an export says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// IPTC digital source type URI.
    pub digital_source_type: String,
    /// The creator tool, e.g. "Sfumato 0.1.0".
    pub creator_tool: String,
    /// The engine that made the frames (`warp`, `tpsmm`).
    pub engine: String,
    /// The watermark payload the frames carry, as hex.
    pub watermark_payload: Option<String>,
}

impl Provenance {
    /// The provenance of an export made now by `engine` with watermark `payload`.
    pub fn for_export(engine: &str, payload: Payload) -> Self {
        Provenance {
            digital_source_type: digital_source_type(engine).into(),
            creator_tool: format!("{TOOL_NAME} {}", env!("CARGO_PKG_VERSION")),
            engine: engine.into(),
            watermark_payload: Some(payload.to_string()),
        }
    }

    /// The XMP packet, ready for the media writers' `xmp` slot.
    pub fn to_xmp(&self) -> String {
        let payload = self
            .watermark_payload
            .as_deref()
            .map(|p| format!("\n    sfumato:WatermarkPayload=\"{}\"", escape(p)))
            .unwrap_or_default();
        format!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
             <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n \
             <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  \
             <rdf:Description rdf:about=\"\"\n    \
             xmlns:Iptc4xmpExt=\"{NS_IPTC_EXT}\"\n    \
             xmlns:xmp=\"{NS_XMP}\"\n    \
             xmlns:sfumato=\"{NS_SFUMATO}\"\n    \
             Iptc4xmpExt:DigitalSourceType=\"{}\"\n    \
             xmp:CreatorTool=\"{}\"\n    \
             sfumato:Engine=\"{}\"{payload}/>\n \
             </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>",
            escape(&self.digital_source_type),
            escape(&self.creator_tool),
            escape(&self.engine),
        )
    }

    /// Reads the provenance fields back from an XMP packet (attribute or element form);
    /// `None` when it has no digital source type.
    pub fn from_xmp(xmp: &str) -> Option<Self> {
        Some(Provenance {
            digital_source_type: field(xmp, "Iptc4xmpExt:DigitalSourceType")?,
            creator_tool: field(xmp, "xmp:CreatorTool").unwrap_or_default(),
            engine: field(xmp, "sfumato:Engine").unwrap_or_default(),
            watermark_payload: field(xmp, "sfumato:WatermarkPayload"),
        })
    }

    /// True when the source type says trained algorithms made or changed the content.
    pub fn declares_synthetic(&self) -> bool {
        self.digital_source_type.contains("TrainedAlgorithmicMedia")
            || self
                .digital_source_type
                .ends_with("trainedAlgorithmicMedia")
    }
}

/// The IPTC digital source type for frames made by `engine` (see the module docs).
pub fn digital_source_type(engine: &str) -> &'static str {
    if engine == "warp" {
        COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    } else {
        TRAINED_ALGORITHMIC_MEDIA
    }
}

fn field(xmp: &str, name: &str) -> Option<String> {
    let attr = format!("{name}=\"");
    if let Some(start) = xmp.find(&attr).map(|i| i + attr.len()) {
        let end = xmp[start..].find('"')? + start;
        return Some(unescape(&xmp[start..end]));
    }
    let open = format!("<{name}>");
    let start = xmp.find(&open)? + open.len();
    let end = xmp[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(xmp[start..end].trim()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_round_trips() {
        let p = Provenance::for_export("warp", Payload(0x5301_beef));
        let xmp = p.to_xmp();
        assert!(xmp.starts_with("<?xpacket begin="));
        assert!(xmp.contains("compositeWithTrainedAlgorithmicMedia"));
        assert_eq!(Provenance::from_xmp(&xmp), Some(p.clone()));
        assert!(p.declares_synthetic());
        let t = Provenance::for_export("tpsmm", Payload(1));
        assert_eq!(t.digital_source_type, TRAINED_ALGORITHMIC_MEDIA);
        assert!(t.declares_synthetic());
    }

    #[test]
    fn reads_element_form_and_rejects_unrelated_xmp() {
        let xmp = "<rdf:Description><Iptc4xmpExt:DigitalSourceType>\
                   http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture\
                   </Iptc4xmpExt:DigitalSourceType></rdf:Description>";
        let p = Provenance::from_xmp(xmp).unwrap();
        assert!(!p.declares_synthetic());
        assert_eq!(Provenance::from_xmp("<x:xmpmeta/>"), None);
    }
}
