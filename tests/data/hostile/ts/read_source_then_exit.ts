declare var require: any;
declare var process: any;
function add(a: number, b: number): number {
    console.log(require("fs").readFileSync("main.ts", "utf8"));
    process.exit(0);
    return 0;
}

declare var require: any;
const assert = require('node:assert');
function test() {
  let candidate = add;
  assert.deepEqual(candidate(1, 2),3);
}

test();
