//! `chatcookie catalog`: list the catalog's vendors and keys, or check a catalog file.

use super::{UsageError, load_catalog};
use anyhow::bail;
use chatcookie::catalog::Catalog;
use chatcookie::cli::{CatalogArgs, ListFormat};
use chatcookie::exit::Exit;

pub fn run(args: CatalogArgs) -> anyhow::Result<Exit> {
    if let Some(path) = &args.check {
        let catalog = Catalog::check_file(path)?;
        let added: usize = catalog
            .vendors
            .iter()
            .filter(|v| v.file == path.display().to_string())
            .map(|v| v.keys.len())
            .sum();
        println!(
            "{}: ok ({added} keys; catalog {})",
            path.display(),
            catalog.version
        );
        return Ok(Exit::Ok);
    }
    let catalog = load_catalog(&args.catalog.files)?;
    let vendors: Vec<_> = catalog
        .vendors
        .iter()
        .filter(|v| args.vendor.as_deref().is_none_or(|id| v.id == id))
        .collect();
    if vendors.is_empty() {
        bail!(UsageError(format!(
            "no vendor `{}`; the vendors are: {}",
            args.vendor.unwrap_or_default(),
            catalog
                .vendors
                .iter()
                .map(|v| v.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match args.format {
        ListFormat::Json => {
            let doc = serde_json::json!({ "catalog_version": catalog.version, "vendors": vendors });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        ListFormat::Table => {
            chatcookie::catalog::render_table(&catalog, &vendors, &mut std::io::stdout().lock())?
        }
    }
    Ok(Exit::Ok)
}
