//! A one-sheet XLSX workbook written directly: amounts go in as the exact decimal text they
//! are (`<v>1250.50</v>`), never through a binary float.

use std::io::Write;

use arrears_domain::Value;
use chrono::NaiveDate;
use zip::write::SimpleFileOptions;

use crate::WebError;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Column letters of a 0-based column: A … Z, AA …
fn column(mut n: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Text as XML holds it; control characters XML cannot hold are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A date as a spreadsheet's day number (days since 1899-12-30).
fn serial(d: NaiveDate) -> i64 {
    NaiveDate::from_ymd_opt(1899, 12, 30).map_or(0, |epoch| (d - epoch).num_days())
}

fn cell(at: &str, value: &Value) -> String {
    match value {
        Value::None => String::new(),
        Value::Text(t) => format!(
            "<c r=\"{at}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
            escape(t)
        ),
        Value::Bool(b) => format!("<c r=\"{at}\" t=\"b\"><v>{}</v></c>", u8::from(*b)),
        Value::Int(i) => format!("<c r=\"{at}\"><v>{i}</v></c>"),
        Value::Money(_) | Value::Rate(_) => format!("<c r=\"{at}\" s=\"1\"><v>{value}</v></c>"),
        Value::Date(d) => format!("<c r=\"{at}\" s=\"2\"><v>{}</v></c>", serial(*d)),
    }
}

fn sheet(names: &[String], rows: &[Vec<Value>]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"{MAIN}\"><sheetData>"
    );
    let header: Vec<Value> = names.iter().map(|n| Value::Text(n.clone())).collect();
    for (r, row) in std::iter::once(&header).chain(rows).enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, value) in row.iter().enumerate() {
            xml.push_str(&cell(&format!("{}{}", column(c), r + 1), value));
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// The workbook's bytes: one sheet, a heading row of `names`, then `rows`.
pub fn workbook(title: &str, names: &[String], rows: &[Vec<Value>]) -> Result<Vec<u8>, WebError> {
    let parts: [(&str, String); 6] = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
             <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>"
                .to_owned(),
        ),
        (
            "_rels/.rels",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
        ),
        (
            "xl/workbook.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"{MAIN}\" xmlns:r=\"{DOC}\"><sheets><sheet name=\"{}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>", escape(title)),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{DOC}/styles\" Target=\"styles.xml\"/></Relationships>"),
        ),
        (
            "xl/styles.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet xmlns=\"{MAIN}\"><fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
             <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
             <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
             <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
             <cellXfs count=\"3\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
             <xf numFmtId=\"4\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
             <xf numFmtId=\"14\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"),
        ),
        ("xl/worksheets/sheet1.xml", sheet(names, rows)),
    ];
    let failed =
        |e: &dyn std::fmt::Display| WebError::Internal(format!("cannot write the workbook: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in parts {
        zip.start_file(name, options).map_err(|e| failed(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| failed(&e))?;
    }
    let cursor = zip.finish().map_err(|e| failed(&e))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use arrears_domain::{Money, Value};
    use chrono::NaiveDate;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(super::column(0), "A");
        assert_eq!(super::column(25), "Z");
        assert_eq!(super::column(26), "AA");
        assert_eq!(super::column(27), "AB");
        assert_eq!(super::column(701), "ZZ");
        assert_eq!(super::column(702), "AAA");
    }

    #[test]
    fn a_workbook_holds_exact_amounts_escaped_text_and_day_numbers() {
        let rows = vec![vec![
            Value::Text("Bolt & <Nut>".into()),
            Value::Money(Money::parse("1250.5").unwrap()),
            Value::Date(NaiveDate::from_ymd_opt(2015, 3, 13).unwrap()),
            Value::None,
            Value::Bool(true),
        ]];
        let names = ["name", "total_age", "due", "empty", "hold"].map(String::from);
        let bytes = super::workbook("Accounts", &names, &rows).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains("<c r=\"A1\" t=\"inlineStr\"><is><t>name</t></is></c>"));
        assert!(xml.contains("<t>Bolt &amp; &lt;Nut&gt;</t>"));
        assert!(xml.contains("<c r=\"B2\" s=\"1\"><v>1250.50</v></c>"));
        assert!(
            xml.contains("<c r=\"C2\" s=\"2\"><v>42076</v></c>"),
            "{xml}"
        );
        assert!(!xml.contains("r=\"D2\""));
        assert!(xml.contains("<c r=\"E2\" t=\"b\"><v>1</v></c>"));
        for part in [
            "[Content_Types].xml",
            "xl/workbook.xml",
            "xl/styles.xml",
            "_rels/.rels",
        ] {
            assert!(zip.by_name(part).is_ok(), "{part}");
        }
    }
}
