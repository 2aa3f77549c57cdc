"use strict";
function thingNetworkOptionToHclTerraform(struct) {
    const attrs = {
        value: {
            value: struct.value,
            isBlock: false,
            type: "simple",
            storageClassType: "any",
        },
    };
}
function thingNetworkToHclTerraform(struct) {
    const attrs = {
        subnet_ids: {
            value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(struct.subnetIds),
            isBlock: false,
            type: "set",
            storageClassType: "stringList",
        },
        option: {
            value: cdktf.listMapperHcl(thingNetworkOptionToHclTerraform, true)(struct.option),
            isBlock: true,
            type: "set",
            storageClassType: "ThingNetworkOptionList",
        },
    };
}
class ThingNetworkOutputReference extends cdktf.ComplexObject {
    // vpc_id - computed: true, optional: false, required: false
    get vpcId() {
        return this.getStringAttribute('vpc_id');
    }
    get subnetIds() {
        return cdktf.Fn.tolist(this.getListAttribute('subnet_ids'));
    }
}
