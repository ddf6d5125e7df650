//! `chatcookie catalog`: list the catalog's vendors and keys, or check a catalog file.

use super::load_catalog;
use crate::cli::{CatalogArgs, ListFormat};
use chatcookie::Error;
use chatcookie::catalog::Catalog;
use chatcookie::exit::Exit;

pub fn run(args: CatalogArgs) -> chatcookie::Result<Exit> {
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
    if args.ocd_report {
        chatcookie::catalog::render_ocd_report(
            &catalog,
            args.format == ListFormat::Json,
            &mut std::io::stdout().lock(),
        )
        .map_err(Error::output)?;
        return Ok(Exit::Ok);
    }
    if let Some(wanted) = &args.platform {
        return platforms(&catalog, wanted, args.format);
    }
    // A vendor's products (`product_of`) are listed with it, not as vendors of their own; asked
    // for by id, a product is listed alone.
    let vendors: Vec<_> = catalog
        .vendors
        .iter()
        .filter(|v| match args.vendor.as_deref() {
            Some(id) => v.id == id,
            None => v.product_of.is_none(),
        })
        .collect();
    if vendors.is_empty() {
        return Err(Error::usage(format!(
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
            let mut listed = Vec::new();
            for v in &vendors {
                let mut value = serde_json::to_value(v).map_err(Error::internal)?;
                let products: Vec<_> = catalog.products_of(&v.id).collect();
                if !products.is_empty() {
                    value["products"] = serde_json::to_value(products).map_err(Error::internal)?;
                }
                listed.push(value);
            }
            let doc = serde_json::json!({
                "catalog_version": catalog.version,
                "cookie_database": catalog.ocd.database,
                "vendors": listed,
            });
            let json = serde_json::to_string_pretty(&doc).map_err(Error::internal)?;
            super::print_stdout(|out| writeln!(out, "{json}"))?;
        }
        ListFormat::Table => {
            let with_products: Vec<_> = vendors
                .iter()
                .flat_map(|v| std::iter::once(*v).chain(catalog.products_of(&v.id)))
                .collect();
            super::print_stdout(|out| {
                chatcookie::catalog::render_table(&catalog, &with_products, out)?;
                writeln!(
                    out,
                    "\nOther keys: {}, {} platforms (`--platform NAME` lists one, `--ocd-report` the generic names).",
                    catalog.ocd.database.describe(),
                    catalog.ocd.platforms.len()
                )?;
                anyhow::Ok(())
            })?;
        }
    }
    Ok(Exit::Ok)
}

/// `--platform NAME`: the platform with that id or name, else every platform whose name or id
/// contains it (case-insensitively).
fn platforms(catalog: &Catalog, wanted: &str, format: ListFormat) -> chatcookie::Result<Exit> {
    let found: Vec<_> = match catalog.ocd.platform(wanted) {
        Some(p) => vec![p],
        None => {
            let w = wanted.to_lowercase();
            catalog
                .ocd
                .platforms
                .iter()
                .filter(|p| p.name.to_lowercase().contains(&w) || p.id.contains(&w))
                .collect()
        }
    };
    if found.is_empty() {
        return Err(Error::usage(format!(
            "no Open Cookie Database platform `{wanted}` (by id, name or part of a name); `chatcookie catalog --format json --platform ''` lists them all"
        )));
    }
    match format {
        ListFormat::Json => {
            let doc = serde_json::json!({
                "catalog_version": catalog.version,
                "cookie_database": catalog.ocd.database,
                "platforms": found,
            });
            let json = serde_json::to_string_pretty(&doc).map_err(Error::internal)?;
            super::print_stdout(|out| writeln!(out, "{json}"))?;
        }
        ListFormat::Table => {
            super::print_stdout(|out| chatcookie::catalog::render_platforms(catalog, &found, out))?
        }
    }
    Ok(Exit::Ok)
}
