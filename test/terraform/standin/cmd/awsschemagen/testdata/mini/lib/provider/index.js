"use strict";
function miniProviderToHclTerraform(struct) {
}
class MiniProvider extends cdktf.TerraformProvider {
    synthesizeHclAttributes() {
        const attrs = {
            alias: {
                value: cdktf.stringToHclTerraform(this._alias),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            region: {
                value: cdktf.stringToHclTerraform(this._region),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
        };
    }
}
MiniProvider.tfResourceType = "mini";
