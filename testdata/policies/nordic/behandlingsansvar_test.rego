package tilsyn.controls.no_01_test

import data.tilsyn.controls.no_01
import rego.v1

ns(name, annotations) := {"metadata": {"name": name, "annotations": annotations}}

scope := {"inScope": {"ledger": true}}

test_pass_annotated if {
	count(no_01.findings) == 0 with input as {
		"resources": {"namespaces": [ns("ledger", {"tilsyn.io/behandlingsansvarlig": "Økonomi"})]},
		"facts": {"scope": scope},
	}
}

test_fail_missing if {
	count(no_01.findings) == 1 with input as {
		"resources": {"namespaces": [ns("ledger", {})]},
		"facts": {"scope": scope},
	}
}
