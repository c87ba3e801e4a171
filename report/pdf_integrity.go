package report

// integrityPage is section 5: the digests that tie this report to its
// inputs, what each covers, and how to check them.
func (d *doc) integrityPage() {
	in := d.r.Integrity
	d.newSection(secIntegrity)
	d.para("Four SHA-256 digests tie this evidence to exactly what was audited. With the snapshot, the same policies " +
		"and profile, anyone can re-run the evaluation and obtain the same report, byte for byte.")
	d.table(table{
		columns: []column{{header: "Digest"}, {header: "SHA-256", mono: true}, {header: "Covers"}},
		rows: [][]string{
			{"Snapshot", in.SnapshotSHA256, "The canonical JSON of the collected cluster state (sorted keys and objects), as 'tilsyn collect' and 'tilsyn audit --save-snapshot' write it (tilsyn-snapshot.json)."},
			{"Policy bundle", in.PolicySHA256, "Every policy file (not the tests), built-in then --policy directories, in order: its name, its length in bytes (decimal) and its content, each followed by a zero byte."},
			{"Profile", in.ProfileSHA256, "The canonical JSON of the effective profile \"" + d.r.Metadata.Profile + "\" (after 'extends')."},
			{"JSON report", in.ReportSHA256, "The JSON report's bytes with the value of integrity.reportSHA256 left empty. It changes when any byte of the report does."},
		},
	})

	d.heading("Signatures", 30)
	d.para("When the audit is run with --sign KEY, each evidence file gets a detached Ed25519 signature beside it: " +
		"tilsyn-report.json.sig and tilsyn-report.pdf.sig. A signature file is a small JSON document naming the key " +
		"(keyID: the first 16 hex digits of the SHA-256 of the raw 32-byte public key), the file's SHA-256, and the " +
		"Ed25519 signature over the ASCII text \"tilsyn.io/v1 detached-signature\" and a newline followed by the " +
		"file's 32-byte SHA-256 digest. A document cannot carry its own signature: this PDF is checked against its .sig file.")

	d.heading("How to verify", 30)
	d.code("", "tilsyn verify tilsyn-report.json --key tilsyn.pub --snapshot tilsyn-snapshot.json")
	d.para("verify recomputes the report digest, checks the signatures of the JSON report and of the PDF beside it " +
		"with the public key, checks that the PDF is the rendering of the JSON report, and — given the snapshot — " +
		"checks its digest, re-runs every control with the policies and profile whose digests the report records, " +
		"and confirms that the result is the same report. Any modified byte makes it fail.")
}
