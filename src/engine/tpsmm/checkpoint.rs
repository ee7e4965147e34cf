//! Reading TPSMM weights: the official `.pth.tar` (a torch zip pickle holding one state dict per
//! network) or a safetensors file with the same names prefixed by the network
//! (`kp_detector.fg_encoder.conv1.weight`, …). Other entries (optimizer states,
//! `bg_predictor`, `epoch`) are ignored.

use crate::{Error, Result};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// State dicts every checkpoint must hold.
pub(super) const REQUIRED_NETWORKS: [&str; 3] =
    ["kp_detector", "dense_motion_network", "inpainting_network"];
/// State dict only needed by `--mode avd`.
pub(super) const AVD_NETWORK: &str = "avd_network";

/// All tensors of the inference networks, keyed `<network>.<parameter>`, on the CPU.
pub(super) fn read_weights(path: &Path) -> Result<HashMap<String, Tensor>> {
    std::fs::metadata(path).map_err(|e| crate::error::io_error(path, e))?;
    if is_safetensors(path)? {
        read_safetensors(path)
    } else {
        read_pth(path)
    }
}

/// A safetensors file starts with a little-endian u64 header length followed by a JSON object;
/// a torch zip archive starts with "PK".
fn is_safetensors(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 9];
    let mut file = std::fs::File::open(path).map_err(|e| crate::error::io_error(path, e))?;
    let n = file
        .read(&mut head)
        .map_err(|e| crate::error::io_error(path, e))?;
    Ok(n == 9 && head[8] == b'{')
}

fn read_safetensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    let all = candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| Error::bad_input(path, format!("cannot read safetensors weights: {e}")))?;
    for net in REQUIRED_NETWORKS {
        let prefix = format!("{net}.");
        if !all.keys().any(|k| k.starts_with(&prefix)) {
            return Err(Error::bad_input(
                path,
                format!("no `{net}.*` tensors: not a TPSMM checkpoint"),
            ));
        }
    }
    Ok(all)
}

fn read_pth(path: &Path) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::new();
    for net in REQUIRED_NETWORKS.into_iter().chain([AVD_NETWORK]) {
        let pth = match candle_core::pickle::PthTensors::new(path, Some(net)) {
            Ok(pth) => pth,
            Err(_) if net == AVD_NETWORK => continue,
            Err(e) => {
                let msg = if e.to_string().contains("not found") {
                    format!("the checkpoint has no `{net}` state dict: not a TPSMM checkpoint")
                } else {
                    format!("cannot read the checkpoint (truncated or not a torch file?): {e}")
                };
                return Err(Error::bad_input(path, msg));
            }
        };
        let mut names: Vec<&String> = pth.tensor_infos().keys().collect();
        names.sort();
        if names.is_empty() && net != AVD_NETWORK {
            return Err(Error::bad_input(
                path,
                format!("the `{net}` state dict is empty"),
            ));
        }
        for name in names {
            let tensor = pth
                .get(name)
                .map_err(|e| {
                    Error::bad_input(
                        path,
                        format!("cannot read `{net}.{name}` (truncated?): {e}"),
                    )
                })?
                .ok_or_else(|| Error::bad_input(path, format!("`{net}.{name}` is missing")))?;
            out.insert(format!("{net}.{name}"), tensor);
        }
    }
    Ok(out)
}
